{# The evaluation cells as they may be published (cell key method, see README
   "Disclosure control"):
   - every count is its perturbed value; a cell the build's audit withholds
     (int_disclosure_cells_withheld) keeps its keys and suppressed = true, every figure
     NULL (never 0, which would be a lie a reader could add up);
   - every rate is computed from perturbed counts only, so it tells nothing the counts
     do not;
   - means of scores come from the true sums, rounded so coarsely (a 1-10 score to 0.1,
     a 0-100 score to 1) that every count of 10 or more fits them: they reveal no count;
   - every rate and mean is NULL unless the published count behind it is at least
     min_cell_size + the largest noise (macro shown_over_enough): then at least
     min_cell_size true contributors, and whether it is shown follows from the
     published count alone;
   - training hours and spend are a course's (or cell's) mean per completion / admitted
     enrolment times the perturbed count. A course's mean hours is its public duration;
     supplier and category cells add up their courses' published figures (NULL when a
     course publishes none, a withheld course included), and any other mean rests on at
     least min_cell_size contributors. #}

{% set min_cell_size = var('min_cell_size') %}

with

perturbed_cells as (

    select * from {{ ref('int_evaluation_cells_perturbed') }}

),

withheld_cells as (

    select * from {{ ref('int_disclosure_cells_withheld') }}
    where protected_table = 'evaluation'

),

course_figures as (

    select
        perturbed_cells.*,
        case
            when perturbed_cells.completions > 0
                then cast(round(
                    perturbed_cells.training_hours / perturbed_cells.completions
                    * perturbed_cells.perturbed_completions,
                    2
                ) as decimal(18, 2))
            else 0
        end as course_training_hours,
        case
            when {{ shown_over_enough('perturbed_cells.perturbed_enrolments') }}
                then cast(round(
                    perturbed_cells.spend_eur / perturbed_cells.enrolments
                    * perturbed_cells.perturbed_enrolments,
                    2
                ) as decimal(18, 2))
        end as course_spend_eur,
        withheld_cells.reason is not null as is_withheld
    from perturbed_cells
    left join withheld_cells
        on
            perturbed_cells.evaluation_level = withheld_cells.evaluation_level
            and perturbed_cells.entity_id = withheld_cells.entity_id
            and perturbed_cells.period_type = withheld_cells.period_type
            and perturbed_cells.period = withheld_cells.period
    where perturbed_cells.evaluation_level = 'course'

),

course_sums as (

    {# supplier and category hours and spend: the sum of their courses' published figures,
       NULL when a course publishes none (its spend gated, or the course withheld), so
       they add nothing to what is known. A sum over a withheld course gave its
       perturbed completions away: margin hours minus the other courses' hours. #}
    select
        levels.evaluation_level,
        case levels.evaluation_level
            when 'supplier' then course_figures.supplier_id
            else course_figures.category_code
        end as entity_id,
        course_figures.period_type,
        course_figures.period,
        case
            when not bool_or(course_figures.is_withheld)
                then sum(course_figures.course_training_hours)
        end as training_hours,
        case
            when count(*) = count(course_figures.course_spend_eur) and not bool_or(course_figures.is_withheld)
                then sum(course_figures.course_spend_eur)
        end as spend_eur
    from course_figures
    cross join (values ('supplier'), ('category')) as levels (evaluation_level)
    group by all

),

cell_figures as (

    select
        perturbed_cells.*,
        coalesce(
            course_figures.course_training_hours, course_sums.training_hours
        ) as published_training_hours,
        case
            when perturbed_cells.evaluation_level = 'course' then course_figures.course_spend_eur
            else course_sums.spend_eur
        end as published_spend_eur,
        withheld_cells.reason as withheld_reason
    from perturbed_cells
    left join course_figures
        on
            perturbed_cells.evaluation_level = course_figures.evaluation_level
            and perturbed_cells.entity_id = course_figures.entity_id
            and perturbed_cells.period_type = course_figures.period_type
            and perturbed_cells.period = course_figures.period
    left join course_sums
        on
            perturbed_cells.evaluation_level = course_sums.evaluation_level
            and perturbed_cells.entity_id = course_sums.entity_id
            and perturbed_cells.period_type = course_sums.period_type
            and perturbed_cells.period = course_sums.period
    left join withheld_cells
        on
            perturbed_cells.evaluation_level = withheld_cells.evaluation_level
            and perturbed_cells.entity_id = withheld_cells.entity_id
            and perturbed_cells.period_type = withheld_cells.period_type
            and perturbed_cells.period = withheld_cells.period

),

published as (

    select
        evaluation_level,
        entity_id,
        category_code,
        supplier_id,
        period_type,
        period,
        cast(year as integer) as year,  -- noqa: RF04
        quarter,
        withheld_reason is not null as suppressed,
        withheld_reason as suppression_reason,
        case when withheld_reason is null then cast(perturbed_participants as bigint) end as participants,
        case when withheld_reason is null then cast(perturbed_enrolments as bigint) end as enrolments,
        case when withheld_reason is null then cast(perturbed_completions as bigint) end as completions,
        case when withheld_reason is null then cast(perturbed_no_shows as bigint) end as no_shows,
        case when withheld_reason is null then cast(perturbed_examined as bigint) end as examined,
        case
            when withheld_reason is null then cast(perturbed_passed_first_attempt as bigint)
        end as passed_first_attempt,
        case when withheld_reason is null then cast(perturbed_passed as bigint) end as passed,
        case
            when withheld_reason is null then cast(published_training_hours as decimal(18, 2))
        end as training_hours,
        case when withheld_reason is null then cast(perturbed_responses as bigint) end as responses,
        case
            when withheld_reason is null then cast(perturbed_overall_responses as bigint)
        end as overall_responses,
        case
            when withheld_reason is null then cast(perturbed_recommend_responses as bigint)
        end as recommend_responses,
        case when withheld_reason is null then cast(perturbed_promoters as bigint) end as promoters,
        case when withheld_reason is null then cast(perturbed_detractors as bigint) end as detractors,
        case when withheld_reason is null then cast(published_spend_eur as decimal(18, 2)) end as spend_eur,
        {# rates: perturbed numerator over perturbed denominator, capped at 1, only over
           enough true contributors of the denominator #}
        case
            when withheld_reason is null and {{ shown_over_enough('perturbed_enrolments') }}
                then least(1.0, perturbed_completions / nullif(perturbed_enrolments, 0))
        end as completion_rate,
        case
            when withheld_reason is null and {{ shown_over_enough('perturbed_enrolments') }}
                then least(1.0, perturbed_no_shows / nullif(perturbed_enrolments, 0))
        end as no_show_rate,
        case
            when withheld_reason is null and {{ shown_over_enough('perturbed_enrolments') }}
                then least(1.0, perturbed_days_present / nullif(perturbed_days_scheduled, 0))
        end as attendance_rate,
        case
            when withheld_reason is null and {{ shown_over_enough('perturbed_examined') }}
                then least(1.0, perturbed_passed / nullif(perturbed_examined, 0))
        end as pass_rate,
        case
            when withheld_reason is null and {{ shown_over_enough('perturbed_examined') }}
                then least(1.0, perturbed_passed_first_attempt / nullif(perturbed_examined, 0))
        end as first_attempt_pass_rate,
        case when withheld_reason is null then publishable_mean_exam_score end as mean_exam_score,
        {# whole days over enough true contributors, like mean_approval_lead_days #}
        case
            when
                withheld_reason is null
                and {{ shown_over_enough('perturbed_completions') }}
                and completion_lead_days_contributors >= {{ min_cell_size }}
                then round(completion_lead_days_sum / completion_lead_days_contributors, 0)
        end as mean_completion_days,
        case
            when withheld_reason is null and {{ shown_over_enough('perturbed_enrolments') }}
                then least(1.0, perturbed_responses / nullif(perturbed_enrolments, 0))
        end as response_rate,
        case when withheld_reason is null then publishable_mean_overall end as mean_overall,
        case
            when withheld_reason is null and {{ shown_over_enough('perturbed_recommend_responses') }}
                then greatest(-100, least(100, round(
                    100.0 * (perturbed_promoters - perturbed_detractors)
                    / nullif(perturbed_recommend_responses, 0),
                    0
                )))
        end as nps,
        case
            when withheld_reason is null and {{ shown_over_enough('perturbed_completions') }}
                then cast(
                    round(published_spend_eur / nullif(perturbed_completions, 0), 2) as decimal(18, 2)
                )
        end as cost_per_completion_eur,
        case
            when withheld_reason is null and {{ shown_over_enough('perturbed_completions') }}
                then cast(
                    round(published_spend_eur / nullif(published_training_hours, 0), 2) as decimal(18, 2)
                )
        end as cost_per_training_hour_eur
    from cell_figures

),

final as (

    select * from published

)

select * from final
