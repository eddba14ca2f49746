{# One row per enrolment per session day. #}

{# Incremental: a build recomputes all session days of each enrolment that appears in
   a file delivered since the last build (leerdata.builder.watermarks); `leerdata build
   --full-refresh` recomputes all. #}

{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='enrolment_id',
    on_schema_change='fail',
    meta={'tested_on_recomputed_keys': 'enrolment_id'},
    post_hook="{{ record_incremental_build(source('lms', 'raw_attendance'), source('steward', 'load_manifest'), 'enrolment_id', 'enrolment_id') }}",
) }}

with

raw_attendance as (

    {{ latest_rows_of_changed_keys(
        source('lms', 'raw_attendance'), source('steward', 'load_manifest'), 'enrolment_id'
    ) }}

),

newest_row_per_enrolment_day as (

    {{ newest_rows_with_enrolment_key(
        'raw_attendance', ['enrolment_id', 'session_date'], ref('stg_lms__enrolments')
    ) }}

),

final as (

    select
        enrolment_key,
        enrolment_id,
        session_date,
        present as is_present
    from newest_row_per_enrolment_day

)

select * from final
