{# Attributes frozen by retention for enrolments whose link to the person was removed.
   Calls the pseudonym UDF (enrolment_key), hence a table (folder config). #}

with

retained_enrolment_attributes as (

    select * from {{ source('retention', 'retained_enrolment_attributes') }}

),

final as (

    select
        enrolment_id,
        {{ pseudonymise('enrolment_id') }} as enrolment_key,
        session_start_date,
        {{ hr_state_attributes() }},
        payer_department_code
    from retained_enrolment_attributes

)

select * from final
