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
