{# Quarantine counts per batch and reason. Never the offending values: staging has
   already dropped raw_value and raw_record, and here only counts leave. #}

with

quarantine as (

    select * from {{ ref('stg_steward__quarantine') }}

),

load_manifest as (

    select * from {{ ref('stg_steward__load_manifest') }}

),

quarantine_reason_codes as (

    select * from {{ ref('quarantine_reason_codes') }}

),

counted_per_file_and_reason as (

    select
        batch_id,
        source_name,
        file_name,
        reason_code,
        {# A row with several bad fields has several entries; count it once. #}
        count(distinct line_number) as quarantined_rows,
        count(*) as quarantine_entries,
        bool_or(line_number = 0) as is_file_level
    from quarantine
    group by batch_id, source_name, file_name, reason_code

),

final as (

    select
        counted_per_file_and_reason.batch_id,
        coalesce(counted_per_file_and_reason.source_name, 'unknown') as source_name,
        counted_per_file_and_reason.file_name,
        counted_per_file_and_reason.reason_code,
        coalesce(quarantine_reason_codes.label_nl, counted_per_file_and_reason.reason_code)
            as reason_label_nl,
        coalesce(quarantine_reason_codes.explanation_en, counted_per_file_and_reason.reason_code)
            as reason_label_en,
        counted_per_file_and_reason.quarantined_rows,
        counted_per_file_and_reason.quarantine_entries,
        counted_per_file_and_reason.is_file_level,
        coalesce(load_manifest.is_latest_batch_of_file, true) as is_latest_batch_of_file
    from counted_per_file_and_reason
    left join quarantine_reason_codes
        on counted_per_file_and_reason.reason_code = quarantine_reason_codes.reason_code
    left join load_manifest
        on counted_per_file_and_reason.batch_id = load_manifest.batch_id

)

select * from final
