{% macro recorded_changed_years() -%}
    {#- What leerdata.builder.periods wrote before dbt started: none (a NULL row: every
        year) or the list of years this build recomputes. Read at run time, not passed
        as a var: a changed var makes dbt parse the whole project again. `leerdata
        build` also hands the same years to dbt in LEERDATA_CHANGED_YEARS ("every", or
        the years separated by commas): a medium day build read the table ~80 times,
        each a query and an agate table in dbt's Python. Without it (dbt run on its
        own, the tests) the table is read. -#}
    {%- set handed = env_var('LEERDATA_CHANGED_YEARS', '') -%}
    {%- if handed == 'every' -%}
        {{- return(none) -}}
    {%- elif handed -%}
        {{- return(handed.split(',') | reject('equalto', 'none') | map('int') | list) -}}
    {%- endif -%}
    {#- in the restricted database (the profile's own), also for a mart in `reporting` -#}
    {%- set table = api.Relation.create(
        database=target.database, schema='main', identifier='leerdata_build_changed_years'
    ) -%}
    {%- set years = run_query('select year from ' ~ table ~ ' order by year').columns[0].values() -%}
    {%- if none in years -%}
        {{- return(none) -}}
    {%- endif -%}
    {{- return(years | map('int') | list) -}}
{%- endmacro %}

{% macro changed_years() -%}
    {#- The years this build recomputes in a year-incremental model: none (every year)
        unless the model is built incrementally; else recorded_changed_years(). A unit
        test (no `this`) computes every year. -#}
    {%- if this is none or not (execute and is_incremental()) -%}
        {{- return(none) -}}
    {%- endif -%}
    {{- return(recorded_changed_years()) -}}
{%- endmacro %}

{% macro no_session_year() -%}
    {#- The sentinel partition of the finance models: rows that belong to no session
        year (an enrolment on an unknown session, an invoice line whose order line
        reference resolves to nothing). No session starts in year 0. -#}
    0
{%- endmacro %}

{% macro in_changed_years(year_expression, with_sentinel=false) -%}
    {#- A filter for the rows a year-incremental model recomputes. `with_sentinel`:
        the partition of rows without a session year (no_session_year()) is recomputed
        by every incremental build too: an arrival elsewhere (an enrolment that makes
        a reference resolve) moves rows into or out of it, and it is small. -#}
    {%- set years = changed_years() -%}
    {%- if years is none -%}
        true
    {%- elif with_sentinel -%}
        {{ year_expression }} in ({{ (years + [no_session_year() | int]) | unique | join(', ') }})
    {%- elif years | length == 0 -%}
        false
    {%- else -%}
        {{ year_expression }} in ({{ years | join(', ') }})
    {%- endif -%}
{%- endmacro %}

{% macro delete_changed_years(with_sentinel=false, year_expression='year') -%}
    {#- Pre-hook of a year-incremental model, inside its transaction: the years it
        recomputes leave the table first, so a year that has no rows left (its last
        enrolment moved or vanished) does not keep old ones. The model's new rows (of
        those years only: its SQL filters with in_changed_years) are then appended. -#}
    {%- if execute and is_incremental() -%}
        delete from {{ this }} where {{ in_changed_years(year_expression, with_sentinel) }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{% macro year_incremental_config(with_sentinel=false, year_expression='year') -%}
    {#- The shared config of the year-incremental models; `with_sentinel` for the ones
        with a partition of rows without a session year (in_changed_years);
        `year_expression` gives a row's year (the sentinel included) where the table has
        no `year` column: a published mart whose columns the contract lists.
        `append`, not delete+insert on `year`: the pre-hook has already deleted the
        recomputed years, and delete+insert deleted them a second time (0.1-0.3 s per
        model in a day build). A row outside the recomputed years would be a second copy
        of a kept row, which the models' uniqueness tests catch.
        Every such model ends `order by year` (or by its year expression): a full build
        then stores each year's rows together, so the next day's delete of the
        recomputed (latest) years touches the table's last row groups only. Scattered
        over every row group, the deleted rows made DuckDB rewrite the whole table when
        it checkpointed (10 s of a rijk day build, at dbt's close of the database); an
        incremental build appends its years at the end anyway. -#}
    {{- config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        meta={
            'year_incremental': true,
            'with_sentinel': with_sentinel,
            'year_expression': year_expression,
        },
        pre_hook="{{ delete_changed_years(" ~ with_sentinel ~ ", \"" ~ year_expression ~ "\") }}",
    ) -}}
{%- endmacro %}
