{% materialization view, adapter='duckdb' %}
    {#- dbt's view materialization, except in a day build (LEERDATA_DAY_BUILD, set by
        leerdata.builder.warehouse): there a view that exists is kept as it is. A day
        build runs only while the project's fingerprint equals that of the last
        published build (leerdata.builder.selection), so each view's SQL is the SQL it
        was created with, and DuckDB binds a view's tables when the view is read: what a
        day build rebuilt shows through. The view's data tests still run. Creating the
        ten views again (a temporary view, two renames, a drop and a commit each, and
        dbt's Python around them) cost a medium day build ~0.5 s. -#}
    {%- set existing = load_cached_relation(this) -%}
    {%- if env_var('LEERDATA_DAY_BUILD', '') == 'day build'
        and existing is not none and existing.is_view -%}
        {%- call noop_statement('main', 'KEPT') -%}{{ sql }}{%- endcall -%}
        {{ return({'relations': [this]}) }}
    {%- endif -%}
    {{ return(dbt.materialization_view_default()) }}
{% endmaterialization %}
