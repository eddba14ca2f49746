{% macro pseudonymise(column, domain=none) -%}
    {#- Keyed pseudonym (HMAC-SHA256 under a per-domain key). The UDF is registered by the
        leerdata dbt plugin; models calling it must be tables, because a view calling a
        Python UDF fails from any other connection. -#}
    leerdata_pseudonym('{{ domain or var("reporting_domain") }}', cast({{ column }} as varchar))
{%- endmacro %}
