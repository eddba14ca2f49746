{# The published allocation. Computed in int_costs_allocated, so evaluation and
   management read the same amounts from the intermediate layer, never from a mart. #}

with

costs_allocated as (

    select * from {{ ref('int_costs_allocated') }}

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
