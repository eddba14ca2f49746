{# One row describing this build, so a dashboard can say which build it shows. #}

with

retention_runs as (

    select * from {{ ref('stg_retention__runs') }}

),

load_manifest as (

    select * from {{ ref('stg_steward__load_manifest') }}

),

load_totals as (

    select
        count(*) as batches_loaded,
        max(loaded_at) as last_loaded_at,
        cast(coalesce(sum(rows_read), 0) as bigint) as rows_read,
        cast(coalesce(sum(rows_loaded), 0) as bigint) as rows_loaded,
        cast(coalesce(sum(rows_quarantined), 0) as bigint) as rows_quarantined,
        coalesce(bool_and(is_conserved), true) as is_every_batch_conserved
    from load_manifest

),

final as (

    select
        '{{ invocation_id }}' as build_id,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp) as built_at,
        '{{ dbt_version }}' as dbt_version,
        cast({{ var('min_cell_size') }} as integer) as min_cell_size,
        (select count(*) > 0 from retention_runs) as has_retention_runs,
        batches_loaded,
        last_loaded_at,
        rows_read,
        rows_loaded,
        rows_quarantined,
        is_every_batch_conserved
    from load_totals

)

select * from final
