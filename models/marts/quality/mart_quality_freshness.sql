{# How current each source is: the newest file date (from the file name) and the last
   load, measured against the moment of this build. #}

with

load_manifest as (

    select * from {{ ref('stg_steward__load_manifest') }}

),

batches_dated as (

    select
        coalesce(source_name, 'unknown') as source_name,
        file_name,
        rows_loaded,
        rows_quarantined,
        loaded_at,
        is_latest_batch_of_file,
        {# Landing file names end in _YYYYMMDD (CSV); UBL invoices carry no date. #}
        cast(
            try_strptime(regexp_extract(file_name, '_(\d{8})\.[a-z]+$', 1), '%Y%m%d') as date
        ) as file_date
    from load_manifest

),

per_source as (

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

final as (

    select
        source_name,
        batches_loaded,
        files_loaded,
        cast(coalesce(rows_loaded, 0) as bigint) as rows_loaded,
        cast(coalesce(rows_quarantined, 0) as bigint) as rows_quarantined,
        newest_file_date,
        last_loaded_at,
        date_diff(
            'day', newest_file_date, cast('{{ run_started_at.strftime("%Y-%m-%d") }}' as date)
        ) as newest_file_age_days
    from per_source

)

select * from final
