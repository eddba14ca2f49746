{# Incremental: a build recomputes only each exam result that appears in a file
   delivered since the last build (leerdata.builder.watermarks); `leerdata build
   --full-refresh` recomputes all. #}

{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='exam_result_id',
    on_schema_change='fail',
    meta={'tested_on_recomputed_keys': 'exam_result_id'},
    post_hook="{{ record_incremental_build(source('lms', 'raw_exam_results'), source('steward', 'load_manifest'), 'exam_result_id', 'exam_result_id') }}",
) }}

with

raw_exam_results as (

    {{ latest_rows_of_changed_keys(
        source('lms', 'raw_exam_results'), source('steward', 'load_manifest'), 'exam_result_id'
    ) }}

),

newest_row_per_exam_result as (

    {{ newest_rows_with_enrolment_key(
        'raw_exam_results', ['exam_result_id'], ref('stg_lms__enrolments')
    ) }}

),

final as (

    select
        exam_result_id,
        enrolment_key,
        enrolment_id,
        exam_date,
        attempt as attempt_number,
        cast(score as decimal(18, 2)) as score,
        passed as is_passed
    from newest_row_per_exam_result

)

select * from final
