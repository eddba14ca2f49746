{# One row per enrolment per session day. #}

{# Incremental: a build recomputes all session days of each enrolment that appears in
   a file delivered since the last build (leerdata.builder.watermarks); `leerdata build
   --full-refresh` recomputes all. #}

{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='enrolment_id',
    on_schema_change='fail',
    post_hook=[
        "{{ delete_vanished_keys(source('lms', 'raw_attendance'), source('steward', 'load_manifest'), 'enrolment_id', 'enrolment_id') }}",
        "{{ record_batch_watermark(source('steward', 'load_manifest')) }}",
    ],
) }}

with

raw_attendance as (

    {{ latest_rows_of_changed_keys(
        source('lms', 'raw_attendance'), source('steward', 'load_manifest'), 'enrolment_id'
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
        {# only an enrolment unknown to the LMS export falls back to the UDF #}
        coalesce(
            enrolments.enrolment_key,
            {{ pseudonymise('newest_row_per_enrolment_day.enrolment_id') }}
        ) as enrolment_key,
        newest_row_per_enrolment_day.enrolment_id,
        newest_row_per_enrolment_day.session_date,
        newest_row_per_enrolment_day.present as is_present
    from newest_row_per_enrolment_day
    left join enrolments
        on newest_row_per_enrolment_day.enrolment_id = enrolments.enrolment_id

)

select * from final
