{# One row per person per HR export date. The only model that reads raw HR rows: the
   personnel number becomes person_key, the birth date becomes a year, and every name,
   e-mail, birth place, salutation and title is left behind.

   Incremental per export date: a day's build recomputes only the export dates of files
   delivered since the last build; `leerdata build --full-refresh` recomputes all. #}

{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='snapshot_date',
    on_schema_change='fail',
    meta={'tested_on_recomputed_keys': 'snapshot_date'},
    post_hook="{{ record_incremental_build(source('hr', 'raw_hr'), source('steward', 'load_manifest'), '_file_date', 'snapshot_date') }}",
) }}

with

raw_hr as (

    {{ latest_rows_of_changed_keys(
        source('hr', 'raw_hr'), source('steward', 'load_manifest'), '_file_date'
    ) }}

),

one_row_per_person_and_date as (

    {# Interpretation #6: two rows for one person on one export date (two department
       exports, or a duplicate line) -> the later batch, then the higher department_code
       wins; the line number only makes a duplicate line deterministic. #}
    select *
    from raw_hr
    qualify row_number() over (
        partition by employee_id, _file_date
        order by _batch_id desc, department_code desc, _line_number desc
    ) = 1

),

person_keys as (

    {{ distinct_pseudonyms('one_row_per_person_and_date', 'employee_id', 'person_key') }}

),

final as (

    select
        person_keys.person_key,
        snapshots._file_date as snapshot_date,
        snapshots.department_code,
        snapshots.directorate,
        snapshots.unit,
        snapshots.team,
        snapshots.gender,
        year(snapshots.birth_date) as birth_year,
        snapshots.hire_date,
        snapshots.exit_date,
        snapshots.job_title,
        snapshots.salary_scale
    from one_row_per_person_and_date as snapshots
    left join person_keys on snapshots.employee_id = person_keys.employee_id

)

select * from final
