{% macro participation_measures() -%}
    {#- The counts, the rate recomputed from them and the suppression flag, shared by the
        participation marts (quarter and year), so the two cannot drift; the marts add their
        period columns. -#}
    department_code,
    breakdown,
    breakdown_value,
    participants,
    enrolments,
    requested_enrolments,
    completions,
    completion_rate,
    training_hours,
    spend_eur,
    waitlisted_enrolments,
    approved_enrolments,
    mean_approval_lead_days,
    suppressed
{%- endmacro %}
