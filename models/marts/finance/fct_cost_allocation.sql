{# The published allocation. Computed in int_costs_allocated, so evaluation and
   management read the same amounts from the intermediate layer, never from a mart. #}

{#- Year-incremental in the reporting file a day build starts from (a copy of the last
    published one); the mart has no year column: an amount's year is its quarter's. #}
{{ year_incremental_config(year_expression='cast(left(quarter, 4) as integer)') }}

with

costs_allocated as (

    select * from {{ ref('int_costs_allocated') }}
    where {{ in_changed_years('year') }}

),

final as (

    select
        allocation_key,
        quarter,
        creditor_department_code,
        debtor_department_code,
        course_id,
        session_id,
        cost_type,
        amount_eur,
        enrolment_key,
        billable_enrolment_count
    from costs_allocated

)

select * from final
order by quarter  {# a year's rows stored together: see year_incremental_config #}
