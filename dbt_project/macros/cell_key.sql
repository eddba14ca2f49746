{% macro record_key(expression) -%}
    {#- A record's fixed pseudo-random key for the cell key method: 52 bits of
        md5(secret salt || the record's pseudonym). The salt comes from a function the
        leerdata dbt plugin registers (leerdata.privacy.cell_keys), never part of the SQL,
        called in a scalar subquery: once per query, and never folded into the plan that
        EXPLAIN or DuckDB's profiling output would print. HUGEINT, so that sums of keys are
        exact integers: a floating-point sum depends on the order of a parallel
        aggregation, and so would the noise. The low 52 bits by a mask, not `% 2^52`:
        the same value, but a modulo of the 128-bit md5 number cost ~2 us per record
        (2.5 s against 0.07 s for 1.2M records). -#}
    cast(
        md5_number((select leerdata_cell_key_salt()) || cast({{ expression }} as varchar))
        & 4503599627370495 as hugeint
    )
{%- endmacro %}

{% macro ptable_rows() -%}
    {#- The perturbation table's rows (bucket, noise, key_from, key_to as exact text),
        read when the model runs; empty while dbt only parses. -#}
    {%- set ptable = ref('cell_key_ptable') -%}
    {%- if not execute or adapter.get_relation(
        database=ptable.database, schema=ptable.schema, identifier=ptable.identifier
    ) is none -%}
        {{- return([]) -}}  {#- parsing, or linting without a built seed -#}
    {%- endif -%}
    {%- set query -%}
        select count_bucket, noise, cast(key_from as varchar), cast(key_to as varchar)
        from {{ ptable }}
        order by count_bucket, key_from
    {%- endset -%}
    {{- return(run_query(query).rows | list) -}}
{%- endmacro %}

{% macro perturbed(count_column, key_column, rows) -%}
    {#- The cell key method: the true count plus the ptable's noise for (count, cell key).
        The cell key is the sum of the cell's record keys modulo 2^52, scaled to [0, 1).
        Zero stays zero. The ptable is written out as a CASE expression (its rows are
        read when the model runs): a lookup per count as a correlated subquery cost a
        second per 6,000 cells. A key in no interval gives NULL, as the lookup did. -#}
    {%- set max_bucket = (rows | map(attribute=0) | max) if rows else 0 -%}
    {%- set cell_key -%}
        (({{ key_column }}) % 4503599627370496) / 4503599627370496.0
    {%- endset -%}
    {%- if not rows %}
    case when {{ count_column }} = 0 then 0 else {{ count_column }} + cast(null as integer) end
    {%- else %}
    case
        when {{ count_column }} = 0 then 0
        else {{ count_column }} + case least({{ count_column }}, {{ max_bucket }})
            {%- for bucket, bucket_rows in rows | groupby(0) %}
            when {{ bucket }} then case
                {%- for row in bucket_rows %}
                when {{ cell_key }} >= cast('{{ row[2] }}' as double)
                    and {{ cell_key }} < cast('{{ row[3] }}' as double) then {{ row[1] }}
                {%- endfor %}
            end
            {%- endfor %}
        end
    end
    {%- endif %}
{%- endmacro %}

{% macro perturbed_counts(relation, counts) -%}
    {#- perturbed_<count> for each count of a cells relation (its <count>_key beside it). -#}
    {%- set rows = ptable_rows() -%}
    {%- for count in counts %}
    {{ perturbed(relation ~ '.' ~ count, relation ~ '.' ~ count ~ '_key', rows) }} as perturbed_{{ count }}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}
