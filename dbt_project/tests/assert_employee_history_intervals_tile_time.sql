{# Every person's intervals tile the whole time line without gap or overlap: the first
   starts at 0001-01-01, each ends where the next starts, the last ends at 9999-12-31,
   and two adjacent intervals never hold the same state (they would have collapsed).
   Returns the offending intervals. #}

with

history as (

    select * from {{ ref('int_employees_historised') }}

),

with_next as (

    select
        *,
        lead(effective_from) over by_person as next_effective_from,
        lead(row(
            department_code, directorate, unit, team, salary_scale, job_title,
            gender, birth_year, hire_date, exit_date
        )) over by_person as next_state,
        row(
            department_code, directorate, unit, team, salary_scale, job_title,
            gender, birth_year, hire_date, exit_date
        ) as this_state
    from history
    window by_person as (partition by person_key order by valid_from)

),

final as (

    select
        person_key,
        interval_number,
        valid_from,
        effective_from,
        effective_to,
        next_effective_from
    from with_next
    where
        (interval_number = 1 and effective_from <> date '0001-01-01')
        or (next_effective_from is null and effective_to <> date '9999-12-31')
        or (next_effective_from is not null and effective_to <> next_effective_from)
        or (next_effective_from is not null and this_state is not distinct from next_state)
        or effective_from >= effective_to

)

select * from final
