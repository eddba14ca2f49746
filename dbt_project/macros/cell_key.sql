{% macro record_key(expression) -%}
    {#- A record's fixed pseudo-random key for the cell key method: 52 bits of
        md5(secret salt || the record's pseudonym). The salt is a session variable set by
        the leerdata dbt plugin, never part of the SQL. HUGEINT, so that sums of keys are
        exact integers: a floating-point sum depends on the order of a parallel
        aggregation, and so would the noise. -#}
    cast(
        md5_number(getvariable('leerdata_cell_key_salt') || cast({{ expression }} as varchar))
        % 4503599627370496 as hugeint
    )
{%- endmacro %}

{% macro perturbed(count_column, key_column) -%}
    {#- The cell key method: the true count plus the ptable's noise for (count, cell key).
        The cell key is the sum of the cell's record keys modulo 2^52, scaled to [0, 1).
        Zero stays zero. -#}
    case
        when {{ count_column }} = 0 then 0
        else {{ count_column }} + (
            select ptable.noise
            from {{ ref('cell_key_ptable') }} as ptable
            where
                ptable.count_bucket = least({{ count_column }}, (select max(p.count_bucket) from {{ ref('cell_key_ptable') }} as p))
                and (({{ key_column }}) % 4503599627370496) / 4503599627370496.0 >= ptable.key_from
                and (({{ key_column }}) % 4503599627370496) / 4503599627370496.0 < ptable.key_to
        )
    end
{%- endmacro %}

{% macro perturbed_counts(relation, counts) -%}
    {#- perturbed_<count> for each count of a cells relation (its <count>_key beside it). -#}
    {%- for count in counts %}
    {{ perturbed(relation ~ '.' ~ count, relation ~ '.' ~ count ~ '_key') }} as perturbed_{{ count }}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}
