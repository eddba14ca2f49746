with

raw_exam_results as (

    {{ rows_of_latest_batch(source('lms', 'raw_exam_results'), source('steward', 'load_manifest')) }}

),

newest_row_per_exam_result as (

    {# Interpretation #2: the newest file date wins, ties by batch, then line (last wins). #}
    select *
    from raw_exam_results
    qualify row_number() over (
        partition by exam_result_id
        order by _file_date desc, _batch_id desc, _line_number desc
    ) = 1

),

final as (

    select
        exam_result_id,
        {{ pseudonymise('enrolment_id') }} as enrolment_key,
        enrolment_id,
        exam_date,
        attempt as attempt_number,
        cast(score as decimal(18, 2)) as score,
        passed as is_passed
    from newest_row_per_exam_result

)

select * from final
