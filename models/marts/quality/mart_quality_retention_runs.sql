{# The steward's retention and erasure runs (counts only), copied from the run log the
   retention command keeps in the restricted zone. Until a first run has created that
   table this mart is empty; mart_quality_build.has_retention_runs says which. #}

{%- set retention_runs = source('retention', 'retention_runs') -%}
{%- set existing = adapter.get_relation(
    database=retention_runs.database,
    schema=retention_runs.schema,
    identifier=retention_runs.identifier,
) if execute else none -%}

{% if existing is not none %}

    with

    retention_runs as (

        select * from {{ retention_runs }}

    ),

    final as (

        select
            run_id,
            run_at,
            run_kind,
            as_of_date,
            person_years_after_exit,
            enrolment_link_months,
            persons_erased,
            enrolments_unlinked,
            run_seconds
        from retention_runs

    )

    select * from final

{% else %}

    with

    final as (

        select
            cast(null as varchar) as run_id,
            cast(null as timestamp) as run_at,
            cast(null as varchar) as run_kind,
            cast(null as date) as as_of_date,
            cast(null as bigint) as person_years_after_exit,
            cast(null as bigint) as enrolment_link_months,
            cast(null as bigint) as persons_erased,
            cast(null as bigint) as enrolments_unlinked,
            cast(null as double) as run_seconds
        where false

    )

    select * from final

{% endif %}
