{# One row per evaluation. The free-text comment stays in the raw table: only whether
   there was one is kept. #}

with

raw_evaluations as (

    {{ rows_of_latest_batch(source('lms', 'raw_evaluations'), source('steward', 'load_manifest')) }}

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
        evaluation_id,
        {{ pseudonymise('enrolment_id') }} as enrolment_key,
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
