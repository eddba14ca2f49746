{# Splits every per-session pool item over the payer departments of the session's
   billable enrolments, in proportion to their count, with the largest-remainder method:
   each department gets the floor of its exact share in cents, and the cents left over go
   one each to the largest fractional remainders (ties: department code ascending), so
   the parts add up to the item exactly. A session without a billable enrolment is
   charged whole to the course owner. Integer cents throughout: no rounding drift.

   Year-incremental (leerdata.builder.periods): an item and its session's payer counts
   have the session's year. #}

{{ year_incremental_config(with_sentinel=true) }}

with

cost_items_pooled as (

    select * from {{ ref('int_cost_items_pooled') }}
    where {{ in_changed_years('year', with_sentinel=true) }}

),

session_payers_counted as (

    select * from {{ ref('int_session_payers_counted') }}
    where {{ in_changed_years('year', with_sentinel=true) }}

),

session_items as (

    select *
    from cost_items_pooled
    where allocation_basis = 'session'

),

item_weights as (

    select
        session_items.pool_item_id,
        session_items.year,
        coalesce(
            session_payers_counted.payer_department_code, session_items.creditor_department_code
        ) as debtor_department_code,
        cast(coalesce(session_payers_counted.billable_enrolment_count, 1) as hugeint) as weight,
        {# Split the magnitude and put the sign back, so a negative amount splits like a
           positive one (integer division truncates towards zero). #}
        cast(abs(session_items.amount_eur) * 100 as hugeint) as item_cents,
        case when session_items.amount_eur < 0 then -1 else 1 end as amount_sign
    from session_items
    left join session_payers_counted
        on session_items.session_id = session_payers_counted.session_id

),

floors as (

    select
        *,
        sum(weight) over (partition by pool_item_id) as total_weight,
        (item_cents * weight) // sum(weight) over (partition by pool_item_id) as floor_cents,
        (item_cents * weight) % sum(weight) over (partition by pool_item_id) as remainder_numerator
    from item_weights

),

remainders_ranked as (

    {# Within one item all shares have the same denominator, so comparing numerators
       compares the fractional remainders. #}
    select
        *,
        item_cents - sum(floor_cents) over (partition by pool_item_id) as cents_left_over,
        row_number() over (
            partition by pool_item_id
            order by remainder_numerator desc, debtor_department_code asc
        ) as remainder_rank
    from floors

),

final as (

    select
        pool_item_id,
        debtor_department_code,
        year,
        cast(weight as bigint) as billable_enrolment_count,
        cast(
            cast(
                amount_sign * (floor_cents + case when remainder_rank <= cents_left_over then 1 else 0 end)
                as decimal(18, 0)
            ) * 0.01 as decimal(18, 2)
        ) as amount_eur
    from remainders_ranked

)

select * from final
order by year  {# a year's rows stored together: see year_incremental_config #}
