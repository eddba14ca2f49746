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
    post_hook=[
        "{{ delete_vanished_keys(source('hr', 'raw_hr'), source('steward', 'load_manifest'), '_file_date', 'snapshot_date') }}",
        "{{ record_recomputed_keys(source('hr', 'raw_hr'), source('steward', 'load_manifest'), '_file_date') }}",
        "{{ record_batch_watermark(source('steward', 'load_manifest')) }}",
    ],
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

final as (

    select
        {{ pseudonymise('employee_id') }} as person_key,
        _file_date as snapshot_date,
        department_code,
        directorate,
        unit,
        team,
        gender,
        year(birth_date) as birth_year,
        hire_date,
        exit_date,
        job_title,
        salary_scale
    from one_row_per_person_and_date

)

select * from final
