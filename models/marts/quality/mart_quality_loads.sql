{# One row per loaded batch (landing file): what was read, loaded and quarantined.
   Counts and file metadata only; the content hash and the rows themselves stay in the
   restricted zone. #}

with

load_manifest as (

    select * from {{ ref('stg_steward__load_manifest') }}

),

final as (

    select
        batch_id,
        coalesce(source_name, 'unknown') as source_name,
        file_name,
        file_bytes,
        encoding,
        delimiter,
        rows_read,
        rows_loaded,
        rows_quarantined,
        is_conserved,
        load_status,
        loaded_at,
        load_seconds,
        is_latest_batch_of_file
    from load_manifest

)

select * from final
