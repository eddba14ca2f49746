{{ config(severity='warn') }}

{# Interpretation #21: a billable enrolment without a payer code whose person is in no
   HR snapshot is charged to the course owner. That keeps the pool whole, but the
   steward should know: one row per session and course owner with such enrolments. #}

with

enrolments_billed as (

    select * from {{ ref('int_enrolments_billed') }}

),

final as (

    select
        session_id,
        owner_department_code,
        count(*) as enrolments_charged_to_owner
    from enrolments_billed
    where is_billable and payer_source = 'course_owner'
    group by session_id, owner_department_code

)

select * from final
