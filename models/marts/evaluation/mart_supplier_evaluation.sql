{# Supplier x quarter evaluation, protected (see int_evaluation_cells_protected). #}

with

published_cells as (

    select * from {{ ref('int_evaluation_cells_published') }}
    where evaluation_level = 'supplier' and period_type = 'quarter'

),

final as (

    select
        entity_id as supplier_id,
        quarter,
        year,
        participants,
        enrolments,
        completions,
        no_shows,
        days_scheduled,
        days_present,
        examined,
        passed_first_attempt,
        passed,
        exam_score_sum,
        training_hours,
        responses,
        overall_responses,
        overall_score_sum,
        recommend_responses,
        promoters,
        detractors,
        spend_eur,
        completion_rate,
        attendance_rate,
        no_show_rate,
        pass_rate,
        first_attempt_pass_rate,
        mean_exam_score,
        response_rate,
        mean_overall,
        nps,
        cost_per_completion_eur,
        cost_per_training_hour_eur,
        suppressed
    from published_cells

)

select * from final
