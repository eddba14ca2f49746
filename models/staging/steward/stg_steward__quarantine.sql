{# Quarantine entries without the offending values: raw_value and raw_record may hold
   names or personnel numbers, and downstream only counts by file and reason. #}

with

quarantine as (

    select * from {{ source('steward', 'quarantine') }}

),

final as (

    select
        batch_id || '-' || row_number() over (
            partition by batch_id
            order by line_number, column_name, reason_code
        ) as quarantine_entry_id,
        batch_id,
        source as source_name,
        file_name,
        line_number,
        column_name,
        reason_code,
        quarantined_at
    from quarantine

)

select * from final
