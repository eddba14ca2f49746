{# One row per enrolment with its course, quarter and every outcome the evaluation and
   management marts count: admitted or not, completed, no-show, days scheduled and
   present, exam attempts, training hours. No identifier beyond the pseudonyms.

   counting_key is the unit participants are counted in (person x quarter): the
   person pseudonym while the enrolment still has its person link, else the enrolment
   pseudonym (after the retention period the link is gone, so such an enrolment counts
   as its own person; aggregates of closed quarters are not recomputed). 

   Year-incremental: a build recomputes only the years its new batches touch
   (leerdata.builder.periods). #}

{{ year_incremental_config() }}

with

enrolments as (

    select * from {{ ref('stg_lms__enrolments') }}

),

sessions as (

    select * from {{ ref('stg_catalogue__sessions') }}

),

courses as (

    select * from {{ ref('stg_catalogue__courses') }}

),

attendance as (

    select * from {{ ref('stg_lms__attendance') }}

),

exam_results as (

    select * from {{ ref('stg_lms__exam_results') }}

),

course_profile as (

    {# A course's category, supplier and delivery mode from its latest price period:
       one stable value per course, so every course cell belongs to exactly one
       category and one supplier cell (the audit relies on that nesting). #}
    select
        course_id,
        category_code,
        supplier_id,
        delivery_mode
    from courses
    qualify row_number() over (partition by course_id order by valid_from desc) = 1

),

duration_on_start_date as (

    {# Training hours use the price period that applies on the session start date. #}
    select
        sessions.session_id,
        courses.duration_hours,
        courses.has_exam
    from sessions
    inner join courses
        on
            sessions.course_id = courses.course_id
            and sessions.start_date >= courses.valid_from
            and sessions.start_date <= coalesce(courses.valid_to, date '9999-12-31')
    qualify row_number() over (
        partition by sessions.session_id order by courses.valid_from desc
    ) = 1

),

enrolments_on_sessions as (

    select
        enrolments.enrolment_key,
        coalesce(enrolments.person_key, enrolments.enrolment_key) as counting_key,
        enrolments.person_key,
        enrolments.session_id,
        enrolments.enrolment_status,
        enrolments.requested_at,
        enrolments.approved_at,
        enrolments.completed_at,
        sessions.course_id,
        sessions.start_date,
        sessions.session_status,
        sessions.session_day_count,
        course_profile.category_code,
        course_profile.supplier_id,
        course_profile.delivery_mode,
        duration_on_start_date.duration_hours,
        duration_on_start_date.has_exam
    from enrolments
    inner join sessions
        on enrolments.session_id = sessions.session_id
    left join course_profile
        on sessions.course_id = course_profile.course_id
    left join duration_on_start_date
        on enrolments.session_id = duration_on_start_date.session_id
    where {{ in_changed_years('year(sessions.start_date)') }}

),

attendance_per_enrolment as (

    select
        enrolment_key,
        count(*) as attendance_days_recorded,
        count(*) filter (where is_present) as days_present
    from attendance
    where enrolment_key in (select enrolments_on_sessions.enrolment_key from enrolments_on_sessions)
    group by enrolment_key

),

exams_per_enrolment as (

    select
        enrolment_key,
        count(*) as exam_attempts,
        bool_or(is_passed) as is_passed_any_attempt,
        {# first attempt: the lowest attempt number, then the earliest exam date #}
        arg_min(is_passed, attempt_number * 100000 + epoch(exam_date) / 86400) as is_passed_first_attempt,
        arg_min(score, attempt_number * 100000 + epoch(exam_date) / 86400) as first_attempt_score
    from exam_results
    where enrolment_key in (select enrolments_on_sessions.enrolment_key from enrolments_on_sessions)
    group by enrolment_key

),

final as (

    select
        enrolments_on_sessions.enrolment_key,
        enrolments_on_sessions.counting_key,
        enrolments_on_sessions.person_key,
        enrolments_on_sessions.session_id,
        enrolments_on_sessions.course_id,
        enrolments_on_sessions.category_code,
        enrolments_on_sessions.supplier_id,
        enrolments_on_sessions.delivery_mode,
        enrolments_on_sessions.start_date,
        year(enrolments_on_sessions.start_date) as year,  -- noqa: RF04
        strftime(enrolments_on_sessions.start_date, '%Y')
        || '-Q'
        || cast(quarter(enrolments_on_sessions.start_date) as varchar) as quarter,  -- noqa: RF04
        enrolments_on_sessions.enrolment_status,
        {# Admitted: the person got a place on a session that was not cancelled by the
           supplier. These are the participants of the evaluation marts. #}
        enrolments_on_sessions.enrolment_status in ('enrolled', 'completed', 'no_show')
        and enrolments_on_sessions.session_status <> 'cancelled_by_supplier' as is_admitted,
        enrolments_on_sessions.enrolment_status = 'completed' as is_completed,
        enrolments_on_sessions.enrolment_status = 'no_show' as is_no_show,
        enrolments_on_sessions.enrolment_status = 'waitlisted' as is_waitlisted,
        {# Days scheduled count only where the outcome is known (completed or no-show). #}
        case
            when enrolments_on_sessions.enrolment_status in ('completed', 'no_show')
                then coalesce(enrolments_on_sessions.session_day_count, 0)
            else 0
        end as days_scheduled,
        case
            when enrolments_on_sessions.enrolment_status in ('completed', 'no_show')
                then least(
                    coalesce(attendance_per_enrolment.days_present, 0),
                    coalesce(enrolments_on_sessions.session_day_count, 0)
                )
            else 0
        end as days_present,
        case
            when enrolments_on_sessions.enrolment_status = 'completed'
                then coalesce(enrolments_on_sessions.duration_hours, 0)
            else 0
        end as training_hours,
        coalesce(exams_per_enrolment.exam_attempts, 0) > 0 as is_examined,
        coalesce(exams_per_enrolment.is_passed_first_attempt, false) as is_passed_first_attempt,
        coalesce(exams_per_enrolment.is_passed_any_attempt, false) as is_passed_any_attempt,
        exams_per_enrolment.first_attempt_score,
        enrolments_on_sessions.approved_at is not null as is_approved,
        case
            when enrolments_on_sessions.approved_at >= enrolments_on_sessions.requested_at
                then datediff(
                    'day',
                    cast(enrolments_on_sessions.requested_at as date),
                    cast(enrolments_on_sessions.approved_at as date)
                )
        end as approval_lead_days,
        {# enrolment (request) to completion, for a completed enrolment with both dates #}
        case
            when
                enrolments_on_sessions.enrolment_status = 'completed'
                and enrolments_on_sessions.completed_at >= enrolments_on_sessions.requested_at
                then datediff(
                    'day',
                    cast(enrolments_on_sessions.requested_at as date),
                    cast(enrolments_on_sessions.completed_at as date)
                )
        end as completion_lead_days
    from enrolments_on_sessions
    left join attendance_per_enrolment
        on enrolments_on_sessions.enrolment_key = attendance_per_enrolment.enrolment_key
    left join exams_per_enrolment
        on enrolments_on_sessions.enrolment_key = exams_per_enrolment.enrolment_key

)

select * from final
order by year  {# a year's rows stored together: see year_incremental_config #}
