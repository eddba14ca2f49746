{# Allocated cost per enrolment, for management's spend per department and breakdown.
   Per-participant amounts carry their enrolment key. A per-session share (and a
   per-session internal amount) is allocated to a debtor department in proportion to
   its billable enrolments, so it is spread evenly over exactly those enrolments: the
   billable enrolments of the session whose payer is that debtor. Sums per cell can
   differ from the finance totals by rounding cents only. #}

with

cost_allocation as (

    select * from {{ ref('int_costs_allocated') }}

),

enrolments_billed as (

    select * from {{ ref('int_enrolments_billed') }}

),

direct_amounts as (

    select
        enrolment_key,
        year,
        amount_eur
    from cost_allocation
    where enrolment_key is not null

),

session_shares as (

    select
        enrolments_billed.enrolment_key,
        cost_allocation.year,
        {# an exact decimal (to a nano-euro), so the sums over it do not depend on the
           order a parallel aggregation adds them in (a DOUBLE sum does) #}
        cast(
            cost_allocation.amount_eur / cost_allocation.billable_enrolment_count
            as decimal(38, 9)
        ) as amount_eur
    from cost_allocation
    inner join enrolments_billed
        on
            cost_allocation.session_id = enrolments_billed.session_id
            and cost_allocation.debtor_department_code = enrolments_billed.payer_department_code
            and enrolments_billed.is_billable
            {# the same session, so the same year; said here so that a reader's filter
               on the year reaches both tables #}
            and cost_allocation.year = enrolments_billed.year
    where cost_allocation.enrolment_key is null and cost_allocation.billable_enrolment_count > 0

),

amounts as (

    select * from direct_amounts
    union all
    select * from session_shares

),

final as (

    select
        enrolment_key,
        {# an enrolment's amounts all belong to its session's year; the allocation's
           year column, not its quarter's text, so that a reader's filter on the year
           skips the other years' row groups of both tables (a rijk day build's two
           tests on this view read every year: 3.4 s). The sentinel (no session year)
           stays NULL, as the quarter gave it. #}
        nullif(year, {{ no_session_year() }}) as year,  -- noqa: RF04
        sum(amount_eur) as spend_eur
    from amounts
    group by enrolment_key, nullif(year, {{ no_session_year() }})

)

select * from final
