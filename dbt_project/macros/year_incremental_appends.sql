{% materialization incremental, adapter='duckdb', supported_languages=['sql'] %}
    {#- dbt-duckdb's incremental materialization, except for a year-incremental model
        (year_incremental_config) built incrementally into its existing table: its
        pre-hook has deleted the recomputed years, and its SELECT, which returns only
        those years, is appended straight into the table. dbt-duckdb's path wrote the
        rows into a temporary table first, read both tables' columns (two queries, each
        turned into an agate table in dbt's Python) and then copied the rows over: three
        statements more per model, ~18 models in every day build.
        The columns are named from the model's documentation, so a documented column
        that the SELECT lost, or that the table lacks, fails the insert, as
        on_schema_change='fail' did (a column the documentation lacks fails
        tests/test_dbt_docs.py). A day build runs only with the
        project of the last published build (leerdata.builder.selection); a change
        makes it a full refresh, which takes dbt-duckdb's own path. A Python model
        cannot be handed on from here (dbt runs Python only from the materialization
        it dispatched to): none is incremental, and one would be refused by name. -#}
    {%- if model.language == 'python' -%}
        {{ exceptions.raise_compiler_error(
            model.name ~ ": dbt_project/macros/year_incremental_appends.sql wraps the"
            ~ " incremental materialization for SQL models only"
        ) }}
    {%- endif -%}
    {%- set existing = load_cached_relation(this) -%}
    {%- set meta = config.get('meta') or {} -%}
    {%- if meta.get('year_incremental')
        and config.get('incremental_strategy') == 'append'
        and existing is not none and existing.is_table
        and not should_full_refresh() -%}
        {%- set target_relation = this.incorporate(type='table') -%}
        {%- set columns = model.columns.keys() | list -%}
        {%- if not columns -%}
            {{ exceptions.raise_compiler_error(
                model.name ~ " is year-incremental but documents no columns to append"
            ) }}
        {%- endif -%}
        {{ run_hooks(pre_hooks, inside_transaction=False) }}
        {{ run_hooks(pre_hooks, inside_transaction=True) }}
        {%- call statement('main') -%}
            insert into {{ target_relation }} by name (
                select {{ columns | join(', ') }}
                from (
                    {{ compiled_code }}
                ) as recomputed_years
            )
        {%- endcall -%}
        {{ run_hooks(post_hooks, inside_transaction=True) }}
        {% do adapter.commit() %}
        {{ run_hooks(post_hooks, inside_transaction=False) }}
        {{ return({'relations': [target_relation]}) }}
    {%- endif -%}
    {{ return(dbt.materialization_incremental_duckdb()) }}
{% endmaterialization %}
