{# The lookup the finance and management models use: for every HR snapshot, the state
   found by hr_state_on() on the snapshot date is that snapshot's department, and on the
   day before it there is exactly one state too (the first state before the first
   snapshot). Returns snapshots where the lookup does not find exactly one right row. #}

with

employee_snapshots as (

    select * from {{ ref('stg_hr__employee_snapshots') }}

),

history as (

    select * from {{ ref('int_employees_historised') }}

),

on_snapshot_date as (

    select
        employee_snapshots.person_key,
        employee_snapshots.snapshot_date,
        count(history.person_key) as states_found,
        count_if(
            history.department_code = employee_snapshots.department_code
        ) as right_states_found
    from employee_snapshots
    left join history
        on {{ hr_state_on(
            'history', 'employee_snapshots.person_key', 'employee_snapshots.snapshot_date'
        ) }}
    group by employee_snapshots.person_key, employee_snapshots.snapshot_date

),

on_day_before as (

    select
        employee_snapshots.person_key,
        employee_snapshots.snapshot_date,
        count(history.person_key) as states_found
    from employee_snapshots
    left join history
        on {{ hr_state_on(
            'history', 'employee_snapshots.person_key', 'employee_snapshots.snapshot_date - 1'
        ) }}
    group by employee_snapshots.person_key, employee_snapshots.snapshot_date

),

final as (

    select
        on_snapshot_date.person_key,
        on_snapshot_date.snapshot_date,
        on_snapshot_date.states_found,
        on_snapshot_date.right_states_found,
        on_day_before.states_found as states_found_day_before
    from on_snapshot_date
    inner join on_day_before
        on
            on_snapshot_date.person_key = on_day_before.person_key
            and on_snapshot_date.snapshot_date = on_day_before.snapshot_date
    where
        on_snapshot_date.states_found <> 1
        or on_snapshot_date.right_states_found <> 1
        or on_day_before.states_found <> 1

)

select * from final
