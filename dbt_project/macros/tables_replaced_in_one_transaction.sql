{% materialization table, adapter='duckdb', supported_languages=['sql', 'python'] %}
    {#- dbt-duckdb's table materialization, shortened for this project. Its path ran
        nine statements per table model that already exists (every mart of a day build,
        which starts from a copy of the published file): two queries for foreign keys
        that might point at the table, one for its indexes, the new table created
        under a temporary name, the old one renamed to a backup, the new one renamed
        into place, the commit, and the backup dropped after it. No model here
        declares a foreign key (one that did is refused below) or an index, so the
        queries are left out, and the old table is dropped inside the transaction that
        creates the new one: BEGIN, create the new table under the temporary name (the
        SELECT, or the Python model, still reads the old table), drop the old, rename
        the new into place, COMMIT. A failure rolls the whole transaction back and
        leaves the old table as it was, as before. -#}
    {%- if 'foreign_key' in enforced_constraint_types() -%}
        {{ exceptions.raise_compiler_error(
            model.name ~ ": dbt_project/macros/tables_replaced_in_one_transaction.sql"
            ~ " does not rebuild tables with foreign keys (see dbt-duckdb's table"
            ~ " materialization, which creates them under their final name)"
        ) }}
    {%- endif -%}
    {%- set language = model['language'] -%}
    {%- set existing = load_cached_relation(this) -%}
    {%- set target_relation = this.incorporate(type='table') -%}
    {%- set intermediate = make_intermediate_relation(target_relation) -%}
    {#- left behind by a build that was killed before its commit -#}
    {{ drop_relation_if_exists(load_cached_relation(intermediate)) }}
    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}
    {%- call statement('main', language=language) -%}
        {{- create_table_as(
            False, intermediate, compiled_code, language,
            partitioned_by=duckdb__get_partitioned_by(target_relation, false),
            sorted_by=duckdb__get_sorted_by(target_relation, false)
        ) }}
    {%- endcall -%}
    {#- one statement, in the transaction: a Python model's job does not open one -#}
    {%- call statement('replace_old', auto_begin=True) -%}
        {%- if existing is not none %}
        drop {{ existing.type }} if exists {{ existing }} cascade;
        {%- endif %}
        alter table {{ intermediate }} rename to {{ target_relation.include(database=False, schema=False) }}
    {%- endcall -%}
    {%- if existing is not none -%}
        {% do adapter.cache_dropped(existing) %}
    {%- endif -%}
    {% do adapter.cache_renamed(intermediate, target_relation) %}
    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {% do apply_grants(target_relation, config.get('grants'), should_revoke=should_revoke(existing, full_refresh_mode=True)) %}
    {% do persist_docs(target_relation, model) %}
    {% do adapter.commit() %}
    {{ run_hooks(post_hooks, inside_transaction=False) }}
    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
