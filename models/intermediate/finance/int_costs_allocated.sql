{# Every pool amount allocated to the department that pays it (docs/contract.md section 2, cost
   allocation): per-participant items whole to the enrolment's payer department,
   per-session items in their largest-remainder parts. Creditor = course owner. No
   invoice or line id here: with the enrolment pseudonym beside it, that would link the
   pseudonym back to the supplier's order line reference.

   Year-incremental (leerdata.builder.periods), on the year of the pool item. #}

{{ year_incremental_config(with_sentinel=true) }}

with

cost_items_pooled as (

    select * from {{ ref('int_cost_items_pooled') }}
    where {{ in_changed_years('year', with_sentinel=true) }}

),

session_amounts_split as (

    select * from {{ ref('int_session_amounts_split') }}
    where {{ in_changed_years('year', with_sentinel=true) }}

),

enrolment_allocations as (

    select
        year,
        quarter,
        creditor_department_code,
        debtor_department_code,
        course_id,
        session_id,
        cost_type,
        amount_eur,
        enrolment_key,
        1 as billable_enrolment_count
    from cost_items_pooled
    where allocation_basis = 'enrolment'

),

session_allocations as (

    select
        cost_items_pooled.year,
        cost_items_pooled.quarter,
        cost_items_pooled.creditor_department_code,
        session_amounts_split.debtor_department_code,
        cost_items_pooled.course_id,
        cost_items_pooled.session_id,
        cost_items_pooled.cost_type,
        session_amounts_split.amount_eur,
        cast(null as varchar) as enrolment_key,
        session_amounts_split.billable_enrolment_count
    from cost_items_pooled
    inner join session_amounts_split
        on cost_items_pooled.pool_item_id = session_amounts_split.pool_item_id

),

allocations as (

    select * from enrolment_allocations
    union all
    select * from session_allocations

),

final as (

    select
        {# One row per enrolment (per-participant) or per session and debtor (per
           session): a stable key for the grain. #}
        coalesce(enrolment_key, session_id || '|' || debtor_department_code) as allocation_key,
        year,
        quarter,
        creditor_department_code,
        debtor_department_code,
        course_id,
        session_id,
        cost_type,
        cast(amount_eur as decimal(18, 2)) as amount_eur,
        enrolment_key,
        cast(billable_enrolment_count as bigint) as billable_enrolment_count
    from allocations

)

select * from final
order by year  {# a year's rows stored together: see year_incremental_config #}
