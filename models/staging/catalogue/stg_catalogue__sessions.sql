{# A table, not a view like the other catalogue models: a session's newest row is picked
   from every delivered row (565,037 at rijk) by a window, and the enrolment outcomes,
   the evaluation cells and two relationship tests read it in every day build (each
   read of the view paid the window again, 0.3-0.9 s). It is rebuilt only when a
   catalogue file arrives (leerdata.builder.selection). #}

{{ config(materialized='table') }}

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
