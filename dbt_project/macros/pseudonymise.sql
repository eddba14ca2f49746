{% macro pseudonymise(column, domain=none) -%}
    {#- Keyed pseudonym: HMAC-SHA256 (RFC 2104) under a per-domain key, its first 128 bits
        as 32 hex characters (leerdata.privacy.pseudonyms), computed by DuckDB's own
        sha256 around the key's inner and outer blocks. The leerdata dbt plugin's UDF
        leerdata_hmac_pad hands those to the query, so the key is never in SQL text,
        dbt's logs or a table. Each block is a scalar subquery, evaluated once per query;
        the UDF is declared with side effects, so DuckDB does not fold it into a constant,
        which would print the blocks in EXPLAIN and in DuckDB's profiling output. The Python
        UDF leerdata_pseudonym it replaces took 4x the time (5M enrolment ids: 26.8 s
        against 6.4 s) and held Python's GIL against every other model of the build.
        NULL stays NULL. A view calling it fails from a connection without the plugin:
        models calling it are tables. -#}
    {%- set domain = domain or var("reporting_domain") -%}
    left(
        sha256(
            (select leerdata_hmac_pad('{{ domain }}', 'outer'))
            || unhex(
                sha256(
                    (select leerdata_hmac_pad('{{ domain }}', 'inner'))
                    || encode(cast({{ column }} as varchar))
                )
            )
        ),
        32
    )
{%- endmacro %}

{% macro distinct_pseudonyms(rows, column, pseudonym_column) -%}
    {#- Each distinct value of `column` in `rows` (a CTE or relation) with its pseudonym,
        for a join back onto the rows: HR exports and enrolments repeat a person's
        personnel number on every row (5.5M HR rows hold 238k numbers at rijk), and each
        pseudonym is two sha256 calls. On the rijk HR rows: 2.2-2.5 s per row, 0.44 s
        per distinct value. -#}
    select
        {{ column }},
        {{ pseudonymise(column) }} as {{ pseudonym_column }}
    from (select distinct {{ column }} from {{ rows }})
{%- endmacro %}
