{% test not_null_columns(model, column_names) %}
    {#- `not_null` for several columns of a model in one query: one row per column that
        holds a NULL, with how many. A day's build runs ~35 of these instead of ~100
        single-column tests, each of which paid dbt's per-node cost (~40 ms) for a
        scan of one column. Models with an enforced contract declare a not_null
        constraint instead, which DuckDB checks as the rows are written. -#}
    {%- if column_names is string or column_names | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "not_null_columns on " ~ model ~ " needs a list of columns, got " ~ column_names
        ) }}
    {%- endif %}
    {{ columns_with_nulls(model, column_names) }}
{% endtest %}

{% macro columns_with_nulls(model, column_names) %}
    {#- One row (column_name, null_rows) per column of `column_names` that holds a NULL
        in `model`, in one scan; shared by not_null_columns and primary_key. -#}
    select column_name, null_rows
    from (

        select
            {%- for column in column_names %}
            count(*) filter (where {{ column }} is null) as {{ column }}{{ "," if not loop.last }}
            {%- endfor %}
        from {{ model }}

    ) as null_counts
    unpivot (null_rows for column_name in ({{ column_names | join(", ") }}))
    where null_rows > 0
{% endmacro %}
