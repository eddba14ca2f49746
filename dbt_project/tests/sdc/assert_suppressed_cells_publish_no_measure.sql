{# A suppressed cell publishes its keys only: participants, enrolments, completions,
   spend and every rate are NULL (never 0). #}

{% set marts = [
    'mart_course_evaluation', 'mart_course_evaluation_yearly',
    'mart_supplier_evaluation', 'mart_supplier_evaluation_yearly',
    'mart_category_evaluation', 'mart_category_evaluation_yearly',
    'mart_participation', 'mart_participation_yearly',
] %}

{% for mart in marts %}
    select '{{ mart }}' as mart
    from {{ ref(mart) }}
    where
        suppressed
        and (
            participants is not null
            or enrolments is not null
            or completions is not null
            or spend_eur is not null
            or completion_rate is not null
        )
    {% if not loop.last %}union all{% endif %}
{% endfor %}
