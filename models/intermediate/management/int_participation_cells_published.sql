{# The participation cells as they may be published: a suppressed cell keeps its keys
   and suppressed = true, every measure NULL (never 0). Means are recomputed from the
   cell's own sums. #}

with

protected_cells as (

    select * from {{ ref('int_participation_cells_protected') }}

),

published_counts as (

    select
        period_type,
        period,
        cast(year as integer) as year,  -- noqa: RF04
        quarter,
        department_code,
        breakdown,
        breakdown_value,
        is_suppressed as suppressed,
        suppression_reason,
        case when not is_suppressed then cast(participants as bigint) end as participants,
        case when not is_suppressed then cast(enrolments as bigint) end as enrolments,
        case when not is_suppressed then cast(requested_enrolments as bigint) end as requested_enrolments,
        case when not is_suppressed then cast(completions as bigint) end as completions,
        case when not is_suppressed then cast(training_hours as decimal(18, 2)) end as training_hours,
        case when not is_suppressed then cast(round(spend_eur, 2) as decimal(18, 2)) end as spend_eur,
        case when not is_suppressed then cast(waitlisted_enrolments as bigint) end as waitlisted_enrolments,
        case when not is_suppressed then cast(approved_enrolments as bigint) end as approved_enrolments,
        case when not is_suppressed then cast(approval_lead_days_sum as bigint) end as approval_lead_days_sum
    from protected_cells

),

final as (

    select
        *,
        approval_lead_days_sum / nullif(approved_enrolments, 0) as mean_approval_lead_days,
        completions / nullif(enrolments, 0) as completion_rate
    from published_counts

)

select * from final
