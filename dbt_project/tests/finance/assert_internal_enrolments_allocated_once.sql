{# Invariant: every billable enrolment of an internal per-participant course is allocated
   exactly once, for its expected amount; every billable session of an internal
   per-session course is allocated in parts that add up to its expected amount. #}

with

enrolments_billed as (

    select * from {{ ref('int_enrolments_billed') }}

),

sessions_billed as (

    select * from {{ ref('int_sessions_billed') }}

),

cost_allocation as (

    select * from {{ ref('fct_cost_allocation') }}

),

internal_enrolments as (

    select
        enrolment_key,
        expected_amount_eur
    from enrolments_billed
    where is_internal_course and pricing_model = 'per_participant' and is_billable

),

internal_enrolment_allocations as (

    select
        enrolment_key,
        count(*) as allocation_count,
        sum(amount_eur) as allocated_eur
    from cost_allocation
    where cost_type = 'internal' and enrolment_key is not null
    group by enrolment_key

),

enrolment_failures as (

    select
        coalesce(internal_enrolments.enrolment_key, internal_enrolment_allocations.enrolment_key) as item,
        'internal enrolment not allocated exactly once for its amount' as failure
    from internal_enrolments
    full outer join internal_enrolment_allocations
        on internal_enrolments.enrolment_key = internal_enrolment_allocations.enrolment_key
    where
        coalesce(internal_enrolment_allocations.allocation_count <> 1, true)
        or coalesce(
            internal_enrolments.expected_amount_eur <> internal_enrolment_allocations.allocated_eur, true
        )

),

internal_sessions as (

    select
        session_id,
        expected_session_amount_eur
    from sessions_billed
    where is_internal_course and pricing_model = 'per_session' and has_billable_enrolment

),

internal_session_allocations as (

    select
        session_id,
        sum(amount_eur) as allocated_eur
    from cost_allocation
    where cost_type = 'internal' and enrolment_key is null
    group by session_id

),

session_failures as (

    select
        coalesce(internal_sessions.session_id, internal_session_allocations.session_id) as item,
        'internal session not allocated for exactly its amount' as failure
    from internal_sessions
    full outer join internal_session_allocations
        on internal_sessions.session_id = internal_session_allocations.session_id
    where
        coalesce(
            internal_sessions.expected_session_amount_eur <> internal_session_allocations.allocated_eur, true
        )

),

final as (

    select * from enrolment_failures
    union all
    select * from session_failures

)

select * from final
