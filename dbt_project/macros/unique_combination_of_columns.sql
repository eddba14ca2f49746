{% test unique_combination_of_columns(model, combination_of_columns) %}
    {#- A key of several columns, as dbt_utils' test of this name (no dbt package can be
        downloaded here). `unique` on `a || '|' || b` skips every row where a part is
        NULL; grouping by the columns themselves counts NULL as a value, so two rows
        with the same key and a NULL part fail the test. -#}
    {%- if combination_of_columns is string or combination_of_columns | length < 2 -%}
        {{ exceptions.raise_compiler_error(
            "unique_combination_of_columns on " ~ model ~ " needs a list of at least two"
            ~ " columns, got " ~ combination_of_columns
        ) }}
    {%- endif -%}
    {%- set key_columns = combination_of_columns | join(",\n        ") %}
    select
        {{ key_columns }},
        count(*) as rows_with_this_key
    from {{ model }}
    group by
        {{ key_columns }}
    having count(*) > 1
{% endtest %}
