with

raw_sessions as (

    {{ rows_of_latest_batch(source('catalogue', 'raw_sessions'), source('steward', 'load_manifest')) }}

),

newest_row_per_session as (

    {# Interpretation #2: the newest file date wins, ties by batch, then line (last wins). #}
    select *
    from raw_sessions
    qualify row_number() over (
        partition by session_id
        order by _file_date desc, _batch_id desc, _line_number desc
    ) = 1

),

final as (

    select
        session_id,
        course_id,
        start_date,
        end_date,
        days as session_day_count,
        location,
        capacity,
        status as session_status
    from newest_row_per_session

)

select * from final
