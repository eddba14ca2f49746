{% macro rows_of_latest_batch(raw_relation, manifest_relation) -%}
    {#- Interpretation #1: a known file name delivered again with new content is a new
        batch that supersedes every earlier batch of that name, so only the rows of the
        newest batch per file name count. The manifest is consulted as well as the raw
        table because a corrected file may have been quarantined whole: its batch then
        has no raw rows, yet it still supersedes the old rows. A failed load is not a
        delivery (ingest retries it), so it supersedes nothing. -#}
    select raw_rows.*
    from {{ raw_relation }} as raw_rows
    inner join (
        select
            batches.file_name,
            max(batches.batch_id) as batch_id
        from (
            select
                file_name,
                batch_id
            from {{ manifest_relation }}
            where status is distinct from 'failed'
            union all
            select distinct
                _file_name as file_name,
                _batch_id as batch_id
            from {{ raw_relation }}
        ) as batches
        group by batches.file_name
    ) as latest_batches
        on
            raw_rows._file_name = latest_batches.file_name
            and raw_rows._batch_id = latest_batches.batch_id
{%- endmacro %}
