{# Per session and payer department: how many billable enrolments it has. These counts
   are the weights of a per-session amount's split. #}

with

enrolments_billed as (

    select * from {{ ref('int_enrolments_billed') }}

),

final as (

    select
        session_id,
        payer_department_code,
        count(*) as billable_enrolment_count
    from enrolments_billed
    where is_billable
    group by session_id, payer_department_code

)

select * from final
