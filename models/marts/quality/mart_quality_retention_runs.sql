{# The steward's retention and erasure runs (counts only). #}

with

retention_runs as (

    select * from {{ ref('stg_retention__runs') }}

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
