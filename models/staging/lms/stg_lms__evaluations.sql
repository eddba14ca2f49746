{# One row per evaluation. The free-text comment stays in the raw table: only whether
   there was one is kept. #}

{# Incremental: a build recomputes only each evaluation that appears in a file
   delivered since the last build (leerdata.builder.watermarks); `leerdata build
   --full-refresh` recomputes all. #}

{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='evaluation_id',
    on_schema_change='fail',
    meta={'tested_on_recomputed_keys': 'evaluation_id'},
    post_hook="{{ record_incremental_build(source('lms', 'raw_evaluations'), source('steward', 'load_manifest'), 'evaluation_id', 'evaluation_id') }}",
) }}

with

raw_evaluations as (

    {{ latest_rows_of_changed_keys(
        source('lms', 'raw_evaluations'), source('steward', 'load_manifest'), 'evaluation_id'
    ) }}

),

newest_row_per_evaluation as (

    {{ newest_rows_with_enrolment_key(
        'raw_evaluations', ['evaluation_id'], ref('stg_lms__enrolments')
    ) }}

),

final as (

    select
        evaluation_id,
        enrolment_key,
        enrolment_id,
        session_id,
        submitted_at,
        overall as overall_score,
        content as content_score,
        trainer as trainer_score,
        relevance as relevance_score,
        recommend as recommend_score,
        enrolment_id is null as is_anonymous,
        coalesce(trim(comment) <> '', false) as has_comment
    from newest_row_per_evaluation

)

select * from final
