{# No published (unsuppressed) cell of a protected mart describes fewer than
   min_cell_size persons. The full LP audit runs after dbt in `leerdata build`. #}

{% set marts = [
    'mart_course_evaluation', 'mart_course_evaluation_yearly',
    'mart_supplier_evaluation', 'mart_supplier_evaluation_yearly',
    'mart_category_evaluation', 'mart_category_evaluation_yearly',
    'mart_participation', 'mart_participation_yearly',
] %}

{% for mart in marts %}
    select
        '{{ mart }}' as mart,
        participants
    from {{ ref(mart) }}
    where not suppressed and coalesce(participants, 0) < {{ var('min_cell_size') }}
    {% if not loop.last %}union all{% endif %}
{% endfor %}
