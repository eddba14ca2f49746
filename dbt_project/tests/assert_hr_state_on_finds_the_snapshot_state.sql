{# The lookup the finance and management models use: for every HR snapshot, the state
   found by hr_state_on() on the snapshot date is that snapshot's department, and on the
   day before it there is exactly one state too (the first state before the first
   snapshot). Returns snapshots where the lookup does not find exactly one right row.
   One join for both days: the states whose interval holds the day before or the
   snapshot date, each counted for the day hr_state_on() finds it on (a join per day
   took 10 s of a full rijk build). #}

with

employee_snapshots as (

    select * from {{ ref('stg_hr__employee_snapshots') }}

),

history as (

    select * from {{ ref('int_employees_historised') }}

),

states_found as (

    select
        employee_snapshots.person_key,
        employee_snapshots.snapshot_date,
        -- count(*) filter: 0, not NULL, for a snapshot no state holds
        count(*) filter (where {{ hr_state_on(
            'history', 'employee_snapshots.person_key', 'employee_snapshots.snapshot_date'
        ) }}) as states_found,
        count(*) filter (
            where ({{ hr_state_on(
                'history', 'employee_snapshots.person_key', 'employee_snapshots.snapshot_date'
            ) }})
            and history.department_code = employee_snapshots.department_code
        ) as right_states_found,
        count(*) filter (where {{ hr_state_on(
            'history', 'employee_snapshots.person_key', 'employee_snapshots.snapshot_date - 1'
        ) }}) as states_found_day_before
    from employee_snapshots
    -- the states that hold on the day before or on the snapshot date
    left join history
        on
            employee_snapshots.person_key = history.person_key
            and employee_snapshots.snapshot_date >= history.effective_from
            and employee_snapshots.snapshot_date - 1 < history.effective_to
    group by employee_snapshots.person_key, employee_snapshots.snapshot_date

),

final as (

    select
        person_key,
        snapshot_date,
        states_found,
        right_states_found,
        states_found_day_before
    from states_found
    where
        states_found <> 1
        or right_states_found <> 1
        or states_found_day_before <> 1

)

select * from final
