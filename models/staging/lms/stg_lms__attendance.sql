{# One row per enrolment per session day. #}

with

raw_attendance as (

    {{ rows_of_latest_batch(source('lms', 'raw_attendance'), source('steward', 'load_manifest')) }}

),

newest_row_per_enrolment_day as (

    {# Interpretation #2: the newest file date wins, ties by batch, then line (last wins). #}
    select *
    from raw_attendance
    qualify row_number() over (
        partition by enrolment_id, session_date
        order by _file_date desc, _batch_id desc, _line_number desc
    ) = 1

),

final as (

    select
        {{ pseudonymise('enrolment_id') }} as enrolment_key,
        enrolment_id,
        session_date,
        present as is_present
    from newest_row_per_enrolment_day

)

select * from final
