{# One row per enrolment with what it means for billing: cancellation window, whether it
   is billable, its expected amount (per-participant courses) and the department that
   pays for it. The person key is used only to find the payer and is not passed on.

   Year-incremental (leerdata.builder.periods): `year` is the year of the session start
   date; an enrolment on a session that is not in the catalogue has none and goes into
   the sentinel partition (year 0), which every incremental build recomputes. #}

{{ year_incremental_config(with_sentinel=true) }}

with

enrolments as (

    select * from {{ ref('stg_lms__enrolments') }}

),

sessions_priced as (

    select * from {{ ref('int_sessions_priced') }}

),

employees_historised as (

    select * from {{ ref('int_employees_historised') }}

),

retained_enrolment_attributes as (

    {# What retention froze before it unlinked an enrolment from its person. #}
    select * from {{ ref('stg_retention__enrolment_attributes') }}

),

enrolments_on_sessions as (

    select
        enrolments.enrolment_id,
        enrolments.enrolment_key,
        enrolments.person_key,
        enrolments.session_id,
        enrolments.enrolment_status,
        enrolments.payer_department_code as enrolment_payer_department_code,
        cast(enrolments.cancelled_at as date) as cancelled_date,
        sessions_priced.session_id is not null as has_session,
        sessions_priced.course_id,
        sessions_priced.start_date,
        sessions_priced.quarter,
        sessions_priced.is_cancelled_by_supplier,
        sessions_priced.has_price_row,
        sessions_priced.is_internal_course,
        sessions_priced.owner_department_code,
        sessions_priced.pricing_model,
        sessions_priced.price_eur,
        sessions_priced.free_cancellation_days,
        sessions_priced.late_cancellation_fee_eur
    from enrolments
    left join sessions_priced
        on enrolments.session_id = sessions_priced.session_id
    where
        {{ in_changed_years(
            'coalesce(year(sessions_priced.start_date), ' ~ no_session_year() ~ ')',
            with_sentinel=true,
        ) }}

),

cancellation_window as (

    select
        *,
        datediff('day', cancelled_date, start_date) as days_cancelled_before_start,
        {# interpretation #12: at least free_cancellation_days to go is free; a
           cancellation without a date gets the benefit of the doubt (in time). #}
        enrolment_status = 'cancelled'
        and (
            cancelled_date is null
            or datediff('day', cancelled_date, start_date) >= free_cancellation_days
        ) as is_cancelled_in_time,
        enrolment_status = 'cancelled'
        and cancelled_date is not null
        and datediff('day', cancelled_date, start_date) < free_cancellation_days as is_late_cancellation
    from enrolments_on_sessions

),

billing as (

    select
        *,
        case
            when not coalesce(has_price_row, false) then null
            when is_cancelled_by_supplier then null
            when enrolment_status = 'completed' then 'participation'
            when enrolment_status = 'no_show' then 'no_show'
            when is_late_cancellation then 'late_cancellation'
        end as billable_kind
    from cancellation_window

),

payer_resolved as (

    select
        billing.*,
        billing.billable_kind is not null as is_billable,
        case
            when billing.billable_kind is null or billing.pricing_model <> 'per_participant'
                then cast(0 as decimal(18, 2))
            when billing.billable_kind = 'late_cancellation' then billing.late_cancellation_fee_eur
            else billing.price_eur
        end as expected_amount_eur,
        coalesce(
            retained_enrolment_attributes.department_code,
            employees_historised.department_code
        ) as hr_department_code,
        {# Payer: the enrolment's own code, else the department on the session start date
           from the HR history, else (interpretation #21) the course owner. #}
        coalesce(
            billing.enrolment_payer_department_code,
            retained_enrolment_attributes.department_code,
            employees_historised.department_code,
            billing.owner_department_code
        ) as payer_department_code,
        case
            when billing.enrolment_payer_department_code is not null then 'enrolment'
            when coalesce(
                retained_enrolment_attributes.department_code,
                employees_historised.department_code
            ) is not null then 'hr_history'
            when billing.owner_department_code is not null then 'course_owner'
        end as payer_source
    from billing
    left join employees_historised
        on {{ hr_state_on('employees_historised', 'billing.person_key', 'billing.start_date') }}
    left join retained_enrolment_attributes
        on billing.enrolment_id = retained_enrolment_attributes.enrolment_id

),

final as (

    select
        enrolment_id,
        enrolment_key,
        session_id,
        has_session,
        course_id,
        start_date,
        cast(coalesce(year(start_date), {{ no_session_year() }}) as integer) as year,  -- noqa: RF04
        quarter,
        enrolment_status,
        cancelled_date,
        days_cancelled_before_start,
        coalesce(is_cancelled_in_time, false) as is_cancelled_in_time,
        coalesce(is_late_cancellation, false) as is_late_cancellation,
        is_billable,
        billable_kind,
        expected_amount_eur,
        is_internal_course,
        pricing_model,
        owner_department_code,
        payer_department_code,
        payer_source
    from payer_resolved

)

select * from final
order by year  {# a year's rows stored together: see year_incremental_config #}
