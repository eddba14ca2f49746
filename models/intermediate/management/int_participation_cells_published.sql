{# The participation cells as they may be published (cell key method, see README
   "Disclosure control"): perturbed counts; a cell the build's audit withholds keeps its
   keys and suppressed = true, every figure NULL. Rates come from perturbed counts only.
   Training hours and spend are the cell's mean per completion / admitted enrolment
   times the perturbed count, and the mean approval lead time is rounded to whole days.
   Each of these and the rate is NULL unless the published count behind it is at least
   min_cell_size + the largest noise (macro shown_over_enough): then its mean rests on
   min_cell_size true contributors, and whether it is shown follows from the published
   count alone. #}

with

perturbed_cells as (

    select * from {{ ref('int_participation_cells_perturbed') }}

),

withheld_cells as (

    select * from {{ ref('int_disclosure_cells_withheld') }}
    where protected_table = 'participation'

),

cells_marked as (

    select
        perturbed_cells.*,
        withheld_cells.reason as withheld_reason
    from perturbed_cells
    left join withheld_cells
        on
            perturbed_cells.department_code = withheld_cells.department_code
            and perturbed_cells.breakdown = withheld_cells.breakdown
            and perturbed_cells.breakdown_value = withheld_cells.breakdown_value
            and perturbed_cells.period_type = withheld_cells.period_type
            and perturbed_cells.period = withheld_cells.period

),

final as (

    select
        period_type,
        period,
        cast(year as integer) as year,  -- noqa: RF04
        quarter,
        department_code,
        breakdown,
        breakdown_value,
        withheld_reason is not null as suppressed,
        withheld_reason as suppression_reason,
        case when withheld_reason is null then cast(perturbed_participants as bigint) end as participants,
        case when withheld_reason is null then cast(perturbed_enrolments as bigint) end as enrolments,
        case
            when withheld_reason is null then cast(perturbed_requested_enrolments as bigint)
        end as requested_enrolments,
        case when withheld_reason is null then cast(perturbed_completions as bigint) end as completions,
        case
            when withheld_reason is null and {{ shown_over_enough('perturbed_completions') }}
                then cast(round(training_hours / completions * perturbed_completions, 2) as decimal(18, 2))
            when withheld_reason is null and completions = 0 then 0
        end as training_hours,
        case
            when withheld_reason is null and {{ shown_over_enough('perturbed_enrolments') }}
                then cast(round(spend_eur / enrolments * perturbed_enrolments, 2) as decimal(18, 2))
        end as spend_eur,
        case
            when withheld_reason is null then cast(perturbed_waitlisted_enrolments as bigint)
        end as waitlisted_enrolments,
        case
            when withheld_reason is null then cast(perturbed_approved_enrolments as bigint)
        end as approved_enrolments,
        case
            when withheld_reason is null then publishable_mean_approval_lead_days
        end as mean_approval_lead_days,
        case
            when withheld_reason is null and {{ shown_over_enough('perturbed_enrolments') }}
                then least(1.0, perturbed_completions / nullif(perturbed_enrolments, 0))
        end as completion_rate
    from cells_marked

)

select * from final
