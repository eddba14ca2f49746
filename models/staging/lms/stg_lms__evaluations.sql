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
    post_hook=[
        "{{ delete_vanished_keys(source('lms', 'raw_evaluations'), source('steward', 'load_manifest'), 'evaluation_id', 'evaluation_id') }}",
        "{{ record_batch_watermark(source('steward', 'load_manifest')) }}",
    ],
) }}

with

raw_evaluations as (

    {{ latest_rows_of_changed_keys(
        source('lms', 'raw_evaluations'), source('steward', 'load_manifest'), 'evaluation_id'
    ) }}

),

enrolments as (

    {# The enrolment pseudonyms are already computed there: an HMAC in Python costs
       seconds per million values, a join on enrolment_id a fraction of that. #}
    select
        enrolment_id,
        enrolment_key
    from {{ ref('stg_lms__enrolments') }}

),

newest_row_per_evaluation as (

    {# Interpretation #2: the newest file date wins, ties by batch, then line (last wins). #}
    select *
    from raw_evaluations
    qualify row_number() over (
        partition by evaluation_id
        order by _file_date desc, _batch_id desc, _line_number desc
    ) = 1

),

final as (

    select
        newest_row_per_evaluation.evaluation_id,
        {# only an enrolment unknown to the LMS export falls back to the UDF #}
        coalesce(
            enrolments.enrolment_key,
            {{ pseudonymise('newest_row_per_evaluation.enrolment_id') }}
        ) as enrolment_key,
        newest_row_per_evaluation.enrolment_id,
        newest_row_per_evaluation.session_id,
        newest_row_per_evaluation.submitted_at,
        newest_row_per_evaluation.overall as overall_score,
        newest_row_per_evaluation.content as content_score,
        newest_row_per_evaluation.trainer as trainer_score,
        newest_row_per_evaluation.relevance as relevance_score,
        newest_row_per_evaluation.recommend as recommend_score,
        newest_row_per_evaluation.enrolment_id is null as is_anonymous,
        coalesce(trim(newest_row_per_evaluation.comment) <> '', false) as has_comment
    from newest_row_per_evaluation
    left join enrolments
        on newest_row_per_evaluation.enrolment_id = enrolments.enrolment_id

)

select * from final
