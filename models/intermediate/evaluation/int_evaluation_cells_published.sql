{# The evaluation cells as they may be published: a suppressed cell keeps its keys and
   suppressed = true, and every count, sum and rate is NULL (never 0, which would be a
   lie a reader could add up). Rates are recomputed from the cell's own counts, so a
   year's rate is its summed counts' ratio, never an average of quarterly rates. #}

with

protected_cells as (

    select * from {{ ref('int_evaluation_cells_protected') }}

),

published_counts as (

    select
        evaluation_level,
        entity_id,
        category_code,
        supplier_id,
        period_type,
        period,
        cast(year as integer) as year,  -- noqa: RF04
        quarter,
        is_suppressed as suppressed,
        suppression_reason,
        {# the case expressions NULL a suppressed cell's measures; published is not is_suppressed #}
        case when not is_suppressed then cast(participants as bigint) end as participants,
        case when not is_suppressed then cast(enrolments as bigint) end as enrolments,
        case when not is_suppressed then cast(completions as bigint) end as completions,
        case when not is_suppressed then cast(no_shows as bigint) end as no_shows,
        case when not is_suppressed then cast(days_scheduled as bigint) end as days_scheduled,
        case when not is_suppressed then cast(days_present as bigint) end as days_present,
        case when not is_suppressed then cast(examined as bigint) end as examined,
        case when not is_suppressed then cast(passed_first_attempt as bigint) end as passed_first_attempt,
        case when not is_suppressed then cast(passed as bigint) end as passed,
        case when not is_suppressed then cast(exam_score_sum as double) end as exam_score_sum,
        case when not is_suppressed then cast(training_hours as decimal(18, 2)) end as training_hours,
        case when not is_suppressed then cast(responses as bigint) end as responses,
        case when not is_suppressed then cast(overall_responses as bigint) end as overall_responses,
        case when not is_suppressed then cast(overall_score_sum as bigint) end as overall_score_sum,
        case when not is_suppressed then cast(recommend_responses as bigint) end as recommend_responses,
        case when not is_suppressed then cast(promoters as bigint) end as promoters,
        case when not is_suppressed then cast(detractors as bigint) end as detractors,
        case when not is_suppressed then cast(spend_eur as decimal(18, 2)) end as spend_eur
    from protected_cells

),

final as (

    select
        *,
        completions / nullif(enrolments, 0) as completion_rate,
        no_shows / nullif(enrolments, 0) as no_show_rate,
        days_present / nullif(days_scheduled, 0) as attendance_rate,
        passed / nullif(examined, 0) as pass_rate,
        passed_first_attempt / nullif(examined, 0) as first_attempt_pass_rate,
        exam_score_sum / nullif(examined, 0) as mean_exam_score,
        responses / nullif(enrolments, 0) as response_rate,
        overall_score_sum / nullif(overall_responses, 0) as mean_overall,
        100.0 * (promoters - detractors) / nullif(recommend_responses, 0) as nps,
        cast(round(spend_eur / nullif(completions, 0), 2) as decimal(18, 2)) as cost_per_completion_eur,
        cast(round(spend_eur / nullif(training_hours, 0), 2) as decimal(18, 2)) as cost_per_training_hour_eur
    from published_counts

)

select * from final
