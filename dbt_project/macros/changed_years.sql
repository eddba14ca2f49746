{% macro changed_years() -%}
    {#- The years this build recomputes in a year-incremental model: none (every year)
        unless the model is built incrementally; else what leerdata.builder.periods
        wrote before dbt started (a NULL row: every year). Read at run time, not passed
        as a var: a changed var makes dbt parse the whole project again. -#}
    {%- if not (execute and is_incremental()) -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set table = api.Relation.create(
        database=this.database, schema=this.schema, identifier='leerdata_build_changed_years'
    ) -%}
    {%- set years = run_query('select year from ' ~ table ~ ' order by year').columns[0].values() -%}
    {%- if none in years -%}
        {{- return(none) -}}
    {%- endif -%}
    {{- return(years | map('int') | list) -}}
{%- endmacro %}

{% macro in_changed_years(year_expression) -%}
    {#- A filter for the rows a year-incremental model recomputes. -#}
    {%- set years = changed_years() -%}
    {%- if years is none -%}
        true
    {%- elif years | length == 0 -%}
        false
    {%- else -%}
        {{ year_expression }} in ({{ years | join(', ') }})
    {%- endif -%}
{%- endmacro %}

{% macro delete_changed_years() -%}
    {#- Pre-hook of a year-incremental model, inside its transaction: the years it
        recomputes leave the table first, so a year that has no rows left (its last
        enrolment moved or vanished) does not keep old ones. delete+insert on `year`
        then replaces the years that do have rows. -#}
    {%- if execute and is_incremental() -%}
        delete from {{ this }} where {{ in_changed_years('year') }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{% macro year_incremental_config() -%}
    {#- The shared config of the year-incremental models. -#}
    {{- config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='year',
        on_schema_change='fail',
        pre_hook="{{ delete_changed_years() }}",
    ) -}}
{%- endmacro %}
