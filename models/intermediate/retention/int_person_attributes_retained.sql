{# Birth years of erased persons per HR snapshot (their birth date is erased), keyed by
   the pseudonym of the person's surrogate id, i.e. the person_key staging now gives
   them. No published aggregate needs it today (they all attach HR attributes through
   enrolments, which int_enrolment_attributes_retained covers); a model that aggregates
   HR history directly by age must coalesce it. Calls the pseudonym UDF: a table.
   Empty until the first retention run has created the source table. #}

{{ config(materialized='table') }}

{%- set frozen = source('retention_frozen', 'retained_person_attributes') -%}
{%- set existing = adapter.get_relation(
    database=frozen.database,
    schema=frozen.schema,
    identifier=frozen.identifier,
) if execute else none -%}

with

retained_person_attributes as (

    {% if existing is not none %}
        select * from {{ frozen }}
    {% else %}
        select
            cast(null as varchar) as employee_id,
            cast(null as date) as snapshot_date,
            cast(null as bigint) as birth_year
        where false
    {% endif %}

),

final as (

    select
        {{ pseudonymise('employee_id') }} as person_key,
        snapshot_date,
        birth_year
    from retained_person_attributes

)

select * from final
