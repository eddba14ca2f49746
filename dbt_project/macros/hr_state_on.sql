{% macro hr_state_on(history, person_key, on_date) -%}
    {#- Join condition for "the HR state of a person on a date" against
        int_employees_historised (aliased `history`): the interval whose
        [effective_from, effective_to) holds the date. effective_from of a person's
        first interval reaches back to 0001-01-01 and effective_to of the last one to
        9999-12-31, so a date before the first snapshot gets the first state and a date
        after the last one the last state (interpretation #6). Usage:
            left join {{ ref('int_employees_historised') }} as hr
                on {{ hr_state_on('hr', 'enrolments.person_key', 'sessions.start_date') }}
    -#}
    {{ history }}.person_key = {{ person_key }}
    and {{ on_date }} >= {{ history }}.effective_from
    and {{ on_date }} < {{ history }}.effective_to
{%- endmacro %}

{% macro hr_state_attributes() -%}
    {#- The attributes of an HR state that management figures break down by, in the
        order the HR history and retention's frozen copy of it keep them
        (leerdata.retention.freeze writes the same list). -#}
    department_code,
    directorate,
    unit,
    team,
    salary_scale,
    job_title,
    gender,
    birth_year,
    hire_date,
    exit_date
{%- endmacro %}
