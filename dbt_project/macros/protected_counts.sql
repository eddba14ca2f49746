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
