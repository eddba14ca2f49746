{# No published rate or mean rests on fewer than min_cell_size true contributors of its
   own denominator (enrolments, examinees, respondents, completions, approvals). #}

{% set min_cell_size = var('min_cell_size') %}

with

evaluation_true as (

    select * from {{ ref('int_evaluation_cells_perturbed') }}

),

evaluation_published as (

    select * from {{ ref('int_evaluation_cells_published') }}

),

participation_true as (

    select * from {{ ref('int_participation_cells_perturbed') }}

),

participation_published as (

    select * from {{ ref('int_participation_cells_published') }}

),

evaluation_violations as (

    select
        'evaluation' as protected_table,
        evaluation_published.entity_id as cell,
        evaluation_published.period
    from evaluation_published
    inner join evaluation_true
        on
            evaluation_published.evaluation_level = evaluation_true.evaluation_level
            and evaluation_published.entity_id = evaluation_true.entity_id
            and evaluation_published.period_type = evaluation_true.period_type
            and evaluation_published.period = evaluation_true.period
    where
        (evaluation_true.enrolments < {{ min_cell_size }} and (
            evaluation_published.completion_rate is not null
            or evaluation_published.no_show_rate is not null
            or evaluation_published.attendance_rate is not null
            or evaluation_published.response_rate is not null
        ))
        or (evaluation_true.examined < {{ min_cell_size }} and (
            evaluation_published.pass_rate is not null
            or evaluation_published.first_attempt_pass_rate is not null
            or evaluation_published.mean_exam_score is not null
        ))
        or (
            evaluation_true.overall_responses < {{ min_cell_size }}
            and evaluation_published.mean_overall is not null
        )
        or (
            evaluation_true.completion_lead_days_contributors < {{ min_cell_size }}
            and evaluation_published.mean_completion_days is not null
        )
        or (
            evaluation_true.recommend_responses < {{ min_cell_size }}
            and evaluation_published.nps is not null
        )
        or (
            evaluation_true.completions < {{ min_cell_size }}
            and evaluation_published.cost_per_completion_eur is not null
        )

),

participation_violations as (

    select
        'participation' as protected_table,
        participation_published.department_code || '/' || participation_published.breakdown_value as cell,
        participation_published.period
    from participation_published
    inner join participation_true
        on
            participation_published.department_code = participation_true.department_code
            and participation_published.breakdown = participation_true.breakdown
            and participation_published.breakdown_value = participation_true.breakdown_value
            and participation_published.period_type = participation_true.period_type
            and participation_published.period = participation_true.period
    where
        (
            participation_true.enrolments < {{ min_cell_size }}
            and participation_published.completion_rate is not null
        )
        or (
            participation_true.approved_enrolments < {{ min_cell_size }}
            and participation_published.mean_approval_lead_days is not null
        )

),

final as (

    select * from evaluation_violations
    union all
    select * from participation_violations

)

select * from final
