{% macro duckdb__get_where_subquery(relation) -%}
    {#- What a data test reads of the model it tests (dbt's default, plus one rule): a
        year-incremental model (year_incremental_config) is tested on the years this
        build recomputed, read when the test runs from leerdata_build_changed_years like
        the models do (a NULL row, as in every full build: every year). The other years are
        the rows the tests of earlier published builds passed and that this build did
        not touch; re-reading them cost a medium day build ~1 s of test time (26 tests on
        16 models). The same for a model with meta tested_on_recomputed_years (a view
        whose rows of a year come from that year of year-incremental models). A row
        without a year is always read, so a not_null test on it still sees it. And an
        incremental staging model is tested on the keys it recomputed (below). -#}
    {%- set where = config.get('where', '') -%}
    {#- The tested model by its unique id (a model's table is named after it): one
        lookup, where a scan of every node's name cost each test ~1 ms of dbt's Python.
        A relation that is no model of this project (a seed, a source) has no such
        node, and an aliased model would not be found: its tests read every row. While
        dbt parses, `graph` is still empty. -#}
    {%- set tested = (graph.get('nodes') or {}).get(
        'model.' ~ project_name ~ '.' ~ relation.identifier
    ) -%}
    {%- set meta = (tested.config.meta if tested else {}) or {} -%}
    {%- set by_year = meta.get('year_incremental') or meta.get('tested_on_recomputed_years') -%}
    {%- set conditions = [] -%}
    {#- the years as constants: a year-incremental table keeps a year's rows together
        (year_incremental_config), so DuckDB skips the row groups of other years by
        their min/max; with the years in a subquery it read every row group -#}
    {%- set years = recorded_changed_years() if (by_year and execute) else none -%}
    {%- if years is not none -%}
        {%- set year = meta.get('year_expression', 'year') -%}
        {%- set read = [year ~ ' is null'] -%}
        {%- if years -%}
            {%- do read.append(year ~ ' in (' ~ (years | join(', ')) ~ ')') -%}
        {%- endif -%}
        {%- if meta.get('with_sentinel') -%}
            {%- do read.append(year ~ ' = ' ~ no_session_year()) -%}
        {%- endif -%}
        {%- do conditions.append('(' ~ (read | join(' or ')) ~ ')') -%}
    {%- endif -%}
    {#- an incremental staging model (meta tested_on_recomputed_keys: its key column):
        the rows of the keys recomputed since the last published build, in a test of
        this model alone. A relationships test reads another model too, whose change
        can orphan rows this build did not touch: it reads everything. -#}
    {%- set key_column = meta.get('tested_on_recomputed_keys') -%}
    {%- if key_column and execute and (model.depends_on.nodes | length) == 1 -%}
        {%- set keys = recomputed_keys() -%}
        {%- set model_name = "'" ~ relation.identifier ~ "'" -%}
        {%- set every_key = run_query(
            'select count(*) > 0 from ' ~ keys ~ ' where model_name = ' ~ model_name
            ~ ' and key is null'
        ).columns[0].values()[0] -%}
        {%- if not every_key -%}
            {%- do conditions.append(
                'cast(' ~ key_column ~ ' as varchar) in (select key from ' ~ keys
                ~ ' where model_name = ' ~ model_name ~ ')'
            ) -%}
        {%- endif -%}
    {%- endif -%}
    {%- if not conditions and not where -%}
        {{- return(relation) -}}
    {%- endif -%}
    {%- if where -%}
        {%- do conditions.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set filtered -%}
        (select * from {{ relation }} where {{ conditions | join(' and ') }}) dbt_subquery
    {%- endset -%}
    {{- return(filtered) -}}
{%- endmacro %}
