{# Participation per year x department x breakdown, protected (see
   int_participation_cells_protected). breakdown 'total' is the department total. #}

with

published_cells as (

    select * from {{ ref('int_participation_cells_published') }}
    where period_type = 'year'

),

final as (

    select
        year,
        department_code,
        breakdown,
        breakdown_value,
        participants,
        enrolments,
        requested_enrolments,
        completions,
        completion_rate,
        training_hours,
        spend_eur,
        waitlisted_enrolments,
        approved_enrolments,
        mean_approval_lead_days,
        suppressed
    from published_cells

)

select * from final
