{# How current each source is, measured against the moment of this build. A source is as
   current as its last delivery: an unchanged file under a new name is skipped by ingest
   (nothing to load), so the newest *loaded* file understates a source delivered every
   month with the same content; the newest delivery counts both. #}

with

load_manifest as (

    select * from {{ ref('stg_steward__load_manifest') }}

),

unchanged_deliveries as (

    select * from {{ ref('stg_steward__unchanged_deliveries') }}

),

batches_dated as (

    select
        coalesce(source_name, 'unknown') as source_name,
        file_name,
        rows_loaded,
        rows_quarantined,
        loaded_at,
        load_status,
        is_latest_batch_of_file,
        {# Landing file names end in _YYYYMMDD (CSV); UBL invoices carry no date. #}
        cast(
            try_strptime(regexp_extract(file_name, '_(\d{8})\.[a-z]+$', 1), '%Y%m%d') as date
        ) as file_date
    from load_manifest

),

deliveries as (

    select
        source_name,
        file_name,
        file_date,
        loaded_at as delivered_at
    from batches_dated
    where load_status is distinct from 'failed'

    union all

    select
        source_name,
        file_name,
        file_date,
        seen_at as delivered_at
    from unchanged_deliveries

),

per_source_loads as (

    select
        source_name,
        count(*) as batches_loaded,
        count(distinct file_name) as files_loaded,
        sum(rows_loaded) filter (where is_latest_batch_of_file) as rows_loaded,
        sum(rows_quarantined) filter (where is_latest_batch_of_file) as rows_quarantined,
        max(file_date) as newest_file_date,
        max(loaded_at) as last_loaded_at
    from batches_dated
    group by source_name

),

per_source_deliveries as (

    select
        source_name,
        count(distinct file_name) as files_delivered,
        max(file_date) as newest_delivery_date,
        max(delivered_at) as last_delivered_at
    from deliveries
    group by source_name

),

final as (

    select
        loads.source_name,
        loads.batches_loaded,
        loads.files_loaded,
        cast(coalesce(loads.rows_loaded, 0) as bigint) as rows_loaded,
        cast(coalesce(loads.rows_quarantined, 0) as bigint) as rows_quarantined,
        loads.newest_file_date,
        loads.last_loaded_at,
        date_diff(
            'day', loads.newest_file_date, cast('{{ run_started_at.strftime("%Y-%m-%d") }}' as date)
        ) as newest_file_age_days,
        coalesce(delivered.files_delivered, 0) as files_delivered,
        delivered.newest_delivery_date,
        delivered.last_delivered_at,
        date_diff(
            'day',
            delivered.newest_delivery_date,
            cast('{{ run_started_at.strftime("%Y-%m-%d") }}' as date)
        ) as newest_delivery_age_days
    from per_source_loads as loads
    left join per_source_deliveries as delivered
        on loads.source_name = delivered.source_name

)

select * from final
