{# Person attributes frozen by retention for enrolments that lost their link to the
   person. Models that attach HR attributes to enrolments prefer these values (coalesce),
   so every published aggregate is the same before and after retention. Empty until the
   first retention run has created the table. Calls the pseudonym UDF (enrolment_key),
   so it is a table. #}

{{ config(materialized='table') }}

{%- set frozen = source('retention_frozen', 'retained_enrolment_attributes') -%}
{%- set existing = adapter.get_relation(
    database=frozen.database,
    schema=frozen.schema,
    identifier=frozen.identifier,
) if execute else none -%}

with

retained_enrolment_attributes as (

    {% if existing is not none %}
        select * from {{ frozen }}
    {% else %}
        select
            cast(null as varchar) as enrolment_id,
            cast(null as date) as session_start_date,
            cast(null as varchar) as department_code,
            cast(null as varchar) as directorate,
            cast(null as varchar) as unit,
            cast(null as varchar) as team,
            cast(null as bigint) as salary_scale,
            cast(null as varchar) as job_title,
            cast(null as varchar) as gender,
            cast(null as bigint) as birth_year,
            cast(null as date) as hire_date,
            cast(null as date) as exit_date,
            cast(null as varchar) as payer_department_code
        where false
    {% endif %}

),

final as (

    select
        enrolment_id,
        {{ pseudonymise('enrolment_id') }} as enrolment_key,
        session_start_date,
        department_code,
        directorate,
        unit,
        team,
        salary_scale,
        job_title,
        gender,
        birth_year,
        hire_date,
        exit_date,
        payer_department_code
    from retained_enrolment_attributes

)

select * from final
