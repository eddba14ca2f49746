{% macro duckdb__get_assert_columns_equivalent(sql) -%}
    {#- dbt checks an enforced contract before it creates the table: the columns and
        types of the model's SELECT against the ones its YAML declares, with two
        DESCRIBE queries, each turned into an agate table in dbt's Python (17 marts, 34
        queries in a medium day build). A day build (LEERDATA_DAY_BUILD, set by
        leerdata.builder.warehouse) runs only while the project's fingerprint (models,
        macros, seeds, the ingest code that creates the raw tables) equals the last
        published build's, and that build checked every contract against the same SQL
        over tables of the same types: the check could only repeat its answer. The table
        is still created from the contract's columns, types and constraints, which DuckDB
        enforces as the rows are written. Every other build checks. -#}
    {%- if env_var('LEERDATA_DAY_BUILD', '') == 'day build' -%}
        {{- return('') -}}
    {%- endif -%}
    {{- return(dbt.default__get_assert_columns_equivalent(sql)) -}}
{%- endmacro %}
