{# HR history: one row per person per validity interval, built from successive
   snapshots. Consecutive snapshots with the same state collapse into one interval. A
   person absent from an export simply has no row for it, so absence never ends an
   interval: a snapshot dated D holds until the next export on which the person appears
   (interpretation #6). Join with the macro hr_state_on() for "state on date X". #}

with

employee_snapshots as (

    select * from {{ ref('stg_hr__employee_snapshots') }}

),

snapshots_flagged as (

    select
        *,
        coalesce(
            row(
                department_code, directorate, unit, team, salary_scale, job_title,
                gender, birth_year, hire_date, exit_date
            ) is distinct from lag(row(
                department_code, directorate, unit, team, salary_scale, job_title,
                gender, birth_year, hire_date, exit_date
            )) over by_person_in_time,
            true
        ) as is_new_state
    from employee_snapshots
    window by_person_in_time as (partition by person_key order by snapshot_date)

),

snapshots_numbered as (

    select
        *,
        sum(cast(is_new_state as integer)) over (
            partition by person_key
            order by snapshot_date
            rows between unbounded preceding and current row
        ) as state_number
    from snapshots_flagged

),

states as (

    select
        person_key,
        state_number,
        {# constant within a state, so any_value is exact #}
        any_value(department_code) as department_code,
        any_value(directorate) as directorate,
        any_value(unit) as unit,
        any_value(team) as team,
        any_value(salary_scale) as salary_scale,
        any_value(job_title) as job_title,
        any_value(gender) as gender,
        any_value(birth_year) as birth_year,
        any_value(hire_date) as hire_date,
        any_value(exit_date) as exit_date,
        min(snapshot_date) as valid_from,
        max(snapshot_date) as last_snapshot_date,
        count(*) as snapshot_count
    from snapshots_numbered
    group by person_key, state_number

),

final as (

    select
        person_key,
        valid_from,
        lead(valid_from) over by_person_in_time as valid_to,
        {# Before a person's first snapshot the first state holds; after the last, the
           last: the effective bounds make a plain range join find exactly one row. #}
        case
            when state_number = 1 then date '0001-01-01' else valid_from
        end as effective_from,
        coalesce(lead(valid_from) over by_person_in_time, date '9999-12-31') as effective_to,
        state_number as interval_number,
        lead(valid_from) over by_person_in_time is null as is_current,
        {{ hr_state_attributes() }},
        last_snapshot_date,
        snapshot_count
    from states
    window by_person_in_time as (partition by person_key order by valid_from)

)

select * from final
