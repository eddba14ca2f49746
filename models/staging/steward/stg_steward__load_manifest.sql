with

load_manifest as (

    select * from {{ source('steward', 'load_manifest') }}

),

final as (

    select
        batch_id,
        source as source_name,
        file_name,
        content_sha256,
        file_bytes,
        encoding,
        delimiter,
        rows_read,
        rows_loaded,
        rows_quarantined,
        is_conserved,
        status as load_status,
        loaded_at,
        seconds as load_seconds,
        notes as load_notes,
        {# Interpretation #1: only the newest batch of a file name counts in staging; a
           failed load is retried and supersedes nothing (see rows_of_latest_batch). #}
        coalesce(
            status is distinct from 'failed'
            and batch_id = max(batch_id) filter (where status is distinct from 'failed')
                over (partition by file_name),
            false
        ) as is_latest_batch_of_file
    from load_manifest

)

select * from final
