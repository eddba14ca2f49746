{# The cells of the participation table before disclosure control: per quarter and per
   year, per department, the department total (breakdown 'total') and its breakdowns
   by directorate, scale band, age band, gender (each person-quarter under its one
   reference state, see int_person_quarters_attributed) and delivery mode (per
   enrolment: a person can be counted under two modes in one quarter, so the modes
   cover the total instead of adding up to it). participants = distinct persons per
   quarter cell; a year's participants is the sum of its quarters. Every count has a
   <count>_key, the sum of its records' keys (the cell key of the cell key method). 

   Year-incremental: a build recomputes only the years its new batches touch
   (leerdata.builder.periods). #}

{{ year_incremental_config() }}

with

enrolment_outcomes as (

    select * from {{ ref('int_enrolments_outcomes') }}
    where {{ in_changed_years('year') }}

),

person_quarters as (

    select * from {{ ref('int_person_quarters_attributed') }}
    where {{ in_changed_years('year') }}

),

enrolments_spend as (

    select * from {{ ref('int_enrolments_spend') }}
    where {{ in_changed_years('year') }}

),

enrolments_attributed as (

    select
        enrolment_outcomes.*,
        person_quarters.department_code,
        person_quarters.directorate,
        person_quarters.scale_band,
        person_quarters.age_band,
        person_quarters.gender,
        coalesce(enrolments_spend.spend_eur, 0) as spend_eur,
        {{ record_key('enrolment_outcomes.enrolment_key') }} as enrolment_record_key,
        {# from the person-quarter's first enrolment: survives retention's unlinking #}
        {{ record_key(
            "min(enrolment_outcomes.enrolment_key) over ("
            ~ "partition by enrolment_outcomes.counting_key, enrolment_outcomes.quarter)"
        ) }} as person_quarter_record_key
    from enrolment_outcomes
    inner join person_quarters
        on
            enrolment_outcomes.counting_key = person_quarters.counting_key
            and enrolment_outcomes.quarter = person_quarters.quarter
    left join enrolments_spend
        on enrolment_outcomes.enrolment_key = enrolments_spend.enrolment_key

),

enrolments_per_breakdown as (

    select
        enrolments_attributed.*,
        breakdowns.breakdown,
        case breakdowns.breakdown
            when 'total' then 'total'
            when 'directorate' then enrolments_attributed.directorate
            when 'scale_band' then enrolments_attributed.scale_band
            when 'age_band' then enrolments_attributed.age_band
            when 'gender' then enrolments_attributed.gender
            else coalesce(enrolments_attributed.delivery_mode, 'unknown')
        end as breakdown_value
    from enrolments_attributed
    cross join (
        values ('total'), ('directorate'), ('scale_band'), ('age_band'), ('gender'), ('delivery_mode')
    ) as breakdowns (breakdown)

),

admitted_person_modes as (

    {# The distinct persons of a cell, counted without a distinct aggregate over the
       breakdowns' six copies of every enrolment (9 of 11.5 s of this model in a full
       rijk build): a person-quarter has one department and one reference state, so
       only the delivery mode can put one person in two cells of a breakdown. #}
    select
        quarter,
        department_code,
        counting_key,
        coalesce(delivery_mode, 'unknown') as delivery_mode,
        any_value(directorate) as directorate,
        any_value(scale_band) as scale_band,
        any_value(age_band) as age_band,
        any_value(gender) as gender,
        any_value(person_quarter_record_key) as person_quarter_record_key
    from enrolments_attributed
    where is_admitted
    group by quarter, department_code, counting_key, coalesce(delivery_mode, 'unknown')

),

admitted_persons as (

    select
        quarter,
        department_code,
        counting_key,
        any_value(directorate) as directorate,
        any_value(scale_band) as scale_band,
        any_value(age_band) as age_band,
        any_value(gender) as gender,
        any_value(person_quarter_record_key) as person_quarter_record_key
    from admitted_person_modes
    group by quarter, department_code, counting_key

),

person_breakdowns as (

    select
        admitted_persons.quarter,
        admitted_persons.department_code,
        breakdowns.breakdown,
        case breakdowns.breakdown
            when 'total' then 'total'
            when 'directorate' then admitted_persons.directorate
            when 'scale_band' then admitted_persons.scale_band
            when 'age_band' then admitted_persons.age_band
            else admitted_persons.gender
        end as breakdown_value,
        admitted_persons.person_quarter_record_key
    from admitted_persons
    cross join (
        values ('total'), ('directorate'), ('scale_band'), ('age_band'), ('gender')
    ) as breakdowns (breakdown)

    union all

    select
        quarter,
        department_code,
        'delivery_mode' as breakdown,
        delivery_mode as breakdown_value,
        person_quarter_record_key
    from admitted_person_modes

),

participants_per_cell as (

    select
        quarter,
        department_code,
        breakdown,
        breakdown_value,
        count(*) as participants,
        sum(person_quarter_record_key) as participants_key
    from person_breakdowns
    group by quarter, department_code, breakdown, breakdown_value

),

enrolment_cells as (

    select
        quarter,
        department_code,
        breakdown,
        breakdown_value,
        any_value(year) as year,  -- noqa: RF04
        count(*) filter (where is_admitted) as enrolments,
        count(*) as requested_enrolments,
        count(*) filter (where is_completed) as completions,
        sum(training_hours) as training_hours,
        sum(spend_eur) as spend_eur,
        count(*) filter (where is_waitlisted) as waitlisted_enrolments,
        count(approval_lead_days) as approved_enrolments,
        coalesce(sum(approval_lead_days), 0) as approval_lead_days_sum,
        coalesce(sum(enrolment_record_key) filter (where is_admitted), 0) as enrolments_key,
        sum(enrolment_record_key) as requested_enrolments_key,
        coalesce(sum(enrolment_record_key) filter (where is_completed), 0) as completions_key,
        coalesce(sum(enrolment_record_key) filter (where is_waitlisted), 0) as waitlisted_enrolments_key,
        coalesce(
            sum(enrolment_record_key) filter (where approval_lead_days is not null), 0
        ) as approved_enrolments_key
    from enrolments_per_breakdown
    group by quarter, department_code, breakdown, breakdown_value

),

quarter_cells as (

    select
        'quarter' as period_type,
        enrolment_cells.quarter as period,
        enrolment_cells.year,
        enrolment_cells.quarter,
        enrolment_cells.department_code,
        enrolment_cells.breakdown,
        enrolment_cells.breakdown_value,
        coalesce(participants_per_cell.participants, 0) as participants,
        enrolment_cells.enrolments,
        enrolment_cells.requested_enrolments,
        enrolment_cells.completions,
        enrolment_cells.training_hours,
        enrolment_cells.spend_eur,
        enrolment_cells.waitlisted_enrolments,
        enrolment_cells.approved_enrolments,
        enrolment_cells.approval_lead_days_sum,
        coalesce(participants_per_cell.participants_key, 0) as participants_key,
        enrolment_cells.enrolments_key,
        enrolment_cells.requested_enrolments_key,
        enrolment_cells.completions_key,
        enrolment_cells.waitlisted_enrolments_key,
        enrolment_cells.approved_enrolments_key
    from enrolment_cells
    left join participants_per_cell
        on
            enrolment_cells.quarter = participants_per_cell.quarter
            and enrolment_cells.department_code is not distinct from participants_per_cell.department_code
            and enrolment_cells.breakdown = participants_per_cell.breakdown
            and enrolment_cells.breakdown_value is not distinct from participants_per_cell.breakdown_value

),

year_cells as (

    select
        'year' as period_type,
        cast(year as varchar) as period,
        year,
        cast(null as varchar) as quarter,  -- noqa: RF04
        department_code,
        breakdown,
        breakdown_value,
        sum(participants) as participants,
        sum(enrolments) as enrolments,
        sum(requested_enrolments) as requested_enrolments,
        sum(completions) as completions,
        sum(training_hours) as training_hours,
        sum(spend_eur) as spend_eur,
        sum(waitlisted_enrolments) as waitlisted_enrolments,
        sum(approved_enrolments) as approved_enrolments,
        sum(approval_lead_days_sum) as approval_lead_days_sum,
        sum(participants_key) as participants_key,
        sum(enrolments_key) as enrolments_key,
        sum(requested_enrolments_key) as requested_enrolments_key,
        sum(completions_key) as completions_key,
        sum(waitlisted_enrolments_key) as waitlisted_enrolments_key,
        sum(approved_enrolments_key) as approved_enrolments_key
    from quarter_cells
    group by year, department_code, breakdown, breakdown_value

),

final as (

    select * from quarter_cells
    union all by name
    select * from year_cells

)

select * from final
order by year  {# a year's rows stored together: see year_incremental_config #}
