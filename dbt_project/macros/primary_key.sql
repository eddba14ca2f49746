{% test primary_key(model, columns, also_not_null=[]) %}
    {#- A model's key and its required columns in one query: the key's columns and the
        `also_not_null` ones hold no NULL, and no two rows share the key (NULL counted
        as a value, as unique_combination_of_columns does). It replaces a `unique` or
        unique_combination_of_columns test plus a not_null_columns test on the same
        model: one dbt node instead of two, each of which pays dbt's per-node cost
        (~20 ms of a day build's single Python thread) for a scan DuckDB does in a few
        milliseconds. One failing row per column with NULLs, one per shared key. -#}
    {%- if columns is string or columns | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "primary_key on " ~ model ~ " needs a list of key columns, got " ~ columns
        ) }}
    {%- endif -%}
    {%- if also_not_null is string -%}
        {{ exceptions.raise_compiler_error(
            "primary_key on " ~ model ~ " needs also_not_null as a list, got " ~ also_not_null
        ) }}
    {%- endif -%}
    {%- set required = columns + (also_not_null | reject('in', columns) | list) -%}
    {%- set key_columns = columns | join(", ") %}
    with columns_with_nulls as (

        {{ columns_with_nulls(model, required) }}

    ),

    nulls as (

        select
            'null' as failure,
            column_name as detail,
            null_rows as failing_rows
        from columns_with_nulls

    ),

    shared_keys as (

        select
            'shared key' as failure,
            cast(row({{ key_columns }}) as varchar) as detail,
            count(*) as failing_rows
        from {{ model }}
        group by {{ key_columns }}
        having count(*) > 1

    )

    select failure, detail, failing_rows from nulls
    union all
    select failure, detail, failing_rows from shared_keys
{% endtest %}
