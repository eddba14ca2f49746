{# One row per session: how many of its enrolments are billable and, for a per-session
   course, its expected amount (the price once, when at least one enrolment is
   billable and the supplier did not cancel).

   Year-incremental (leerdata.builder.periods): `year` is the year of the start date, a
   session's enrolments are in the same year; a session without a start date goes into
   the sentinel partition (year 0). #}

{{ year_incremental_config(with_sentinel=true) }}

with

sessions_priced as (

    select * from {{ ref('int_sessions_priced') }}

),

enrolments_billed as (

    select * from {{ ref('int_enrolments_billed') }}

),

enrolment_counts as (

    select
        session_id,
        count(*) as enrolment_count,
        count(*) filter (where is_billable) as billable_enrolment_count,
        count(*) filter (where enrolment_status = 'enrolled') as awaiting_outcome_count
    from enrolments_billed
    where {{ in_changed_years('year', with_sentinel=true) }}
    group by session_id

),

final as (

    select
        sessions_priced.session_id,
        sessions_priced.course_id,
        sessions_priced.start_date,
        cast(
            coalesce(year(sessions_priced.start_date), {{ no_session_year() }}) as integer
        ) as year,  -- noqa: RF04
        sessions_priced.end_date,
        sessions_priced.session_status,
        sessions_priced.is_cancelled_by_supplier,
        sessions_priced.has_price_row,
        sessions_priced.quarter,
        sessions_priced.price_valid_from,
        sessions_priced.course_title,
        sessions_priced.supplier_id,
        sessions_priced.is_internal_course,
        sessions_priced.owner_department_code,
        sessions_priced.pricing_model,
        sessions_priced.price_eur,
        sessions_priced.vat_rate,
        sessions_priced.free_cancellation_days,
        sessions_priced.late_cancellation_fee_pct,
        sessions_priced.late_cancellation_fee_eur,
        coalesce(enrolment_counts.enrolment_count, 0) as enrolment_count,
        coalesce(enrolment_counts.billable_enrolment_count, 0) as billable_enrolment_count,
        coalesce(enrolment_counts.awaiting_outcome_count, 0) as awaiting_outcome_count,
        sessions_priced.has_price_row
        and not sessions_priced.is_cancelled_by_supplier
        and coalesce(enrolment_counts.billable_enrolment_count, 0) > 0 as has_billable_enrolment,
        case
            when
                sessions_priced.pricing_model = 'per_session'
                and sessions_priced.has_price_row
                and not sessions_priced.is_cancelled_by_supplier
                and coalesce(enrolment_counts.billable_enrolment_count, 0) > 0
                then sessions_priced.price_eur
            else cast(0 as decimal(18, 2))
        end as expected_session_amount_eur
    from sessions_priced
    left join enrolment_counts
        on sessions_priced.session_id = enrolment_counts.session_id
    where
        {{ in_changed_years(
            'coalesce(year(sessions_priced.start_date), ' ~ no_session_year() ~ ')',
            with_sentinel=true,
        ) }}

)

select * from final
order by year  {# a year's rows stored together: see year_incremental_config #}
