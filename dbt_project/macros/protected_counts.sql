{% macro evaluation_counts() -%}
    {#- The person counts of the evaluation cells: each is published perturbed. -#}
    {{ return([
        'participants', 'enrolments', 'completions', 'no_shows', 'days_scheduled',
        'days_present', 'examined', 'passed_first_attempt', 'passed', 'responses',
        'overall_responses', 'recommend_responses', 'promoters', 'detractors',
    ]) }}
{%- endmacro %}

{% macro participation_counts() -%}
    {#- The person counts of the participation cells: each is published perturbed. -#}
    {{ return([
        'participants', 'enrolments', 'requested_enrolments', 'completions',
        'waitlisted_enrolments', 'approved_enrolments',
    ]) }}
{%- endmacro %}

{% macro shown_over_enough(perturbed_count) -%}
    {#- Gate of a rate or mean: shown only where the published (perturbed) count behind it
        is at least min_cell_size + the ptable's largest noise, so at least min_cell_size
        true contributors. A gate on the published value tells a reader nothing the count
        does not; a gate on the true count did: a published 11 beside a NULL rate was a
        true 9 (README, "Disclosure control"). -#}
    {{ perturbed_count }} >= {{ (var('min_cell_size') | int) + (var('cell_key_max_noise') | int) }}
{%- endmacro %}

{% macro publishable_mean(relation, total, count, digits) -%}
    {#- A mean as the marts show it where the build's audit withholds nothing: the true sum
        over the true count, rounded to `digits`, NULL unless shown_over_enough on the
        count's perturbed value. Computed once, in the perturbed models: the audit reads it
        as a sum (leerdata.sdc.reader_model), the published models show it. -#}
    case
        when {{ shown_over_enough(relation ~ '.perturbed_' ~ count) }}
            then round({{ relation }}.{{ total }} / {{ relation }}.{{ count }}, {{ digits }})
    end
{%- endmacro %}
