{# The cells of the three evaluation tables before disclosure control: per course, per
   supplier and per course category (evaluation_level), per quarter and per year
   (period_type). Every measure is an additive count or sum, so rates can be
   recomputed from counts at every grain and a year is the sum of its quarters.
   participants counts person x quarter: distinct persons per quarter cell, and at year
   level the sum of the quarters ("deelnemer-kwartalen").
   Every count has a <count>_key: the sum of the record keys of the records it counts
   (person-quarters, enrolments or evaluations), the cell key of the cell key method.
   The same records give the same key in every table, so the same noise.

   Year-incremental: a build recomputes only the years its new batches touch
   (leerdata.builder.periods); a course's profile comes from every year. #}

{{ year_incremental_config() }}

with

enrolment_outcomes as (

    select * from {{ ref('int_enrolments_outcomes') }}

),

evaluations as (

    select * from {{ ref('stg_lms__evaluations') }}

),

sessions as (

    select * from {{ ref('stg_catalogue__sessions') }}

),

cost_allocation as (

    select * from {{ ref('int_costs_allocated') }}

),

enrolments_keyed as (

    select
        *,
        {{ record_key('enrolment_key') }} as enrolment_record_key,
        {# a person-quarter's key comes from its first enrolment: retention's unlinking
           replaces the person pseudonym but keeps the enrolments, so the key (and the
           published noise) of a closed quarter survives it #}
        {{ record_key("min(enrolment_key) over (partition by counting_key, quarter)") }}
            as person_quarter_record_key
    from enrolment_outcomes
    where {{ in_changed_years('year') }}

),

course_profile as (

    select distinct
        course_id,
        category_code,
        supplier_id
    from enrolment_outcomes

),

admitted_per_level as (

    {# each admitted enrolment once per evaluation level #}
    select
        levels.evaluation_level,
        case levels.evaluation_level
            when 'course' then enrolment_outcomes.course_id
            when 'supplier' then enrolment_outcomes.supplier_id
            else enrolment_outcomes.category_code
        end as entity_id,
        enrolment_outcomes.*
    from enrolments_keyed as enrolment_outcomes
    cross join (values ('course'), ('supplier'), ('category')) as levels (evaluation_level)
    where enrolment_outcomes.is_admitted

),

enrolment_counts as (

    select
        evaluation_level,
        entity_id,
        quarter,
        any_value(year) as year,  -- noqa: RF04
        count(distinct counting_key) as participants,
        count(*) as enrolments,
        count(*) filter (where is_completed) as completions,
        count(*) filter (where is_no_show) as no_shows,
        sum(days_scheduled) as days_scheduled,
        sum(days_present) as days_present,
        count(*) filter (where is_examined) as examined,
        count(*) filter (where is_passed_first_attempt) as passed_first_attempt,
        count(*) filter (where is_passed_any_attempt) as passed,
        coalesce(sum(first_attempt_score) filter (where is_examined), 0) as exam_score_sum,
        {# a mean's own contributors: published only as a rounded mean (never a count) #}
        count(completion_lead_days) as completion_lead_days_contributors,
        coalesce(sum(completion_lead_days), 0) as completion_lead_days_sum,
        cast(sum(training_hours) as decimal(18, 2)) as training_hours,
        sum(distinct person_quarter_record_key) as participants_key,
        sum(enrolment_record_key) as enrolments_key,
        coalesce(sum(enrolment_record_key) filter (where is_completed), 0) as completions_key,
        coalesce(sum(enrolment_record_key) filter (where is_no_show), 0) as no_shows_key,
        coalesce(sum(enrolment_record_key) filter (where days_scheduled > 0), 0) as days_scheduled_key,
        coalesce(sum(enrolment_record_key) filter (where days_present > 0), 0) as days_present_key,
        coalesce(sum(enrolment_record_key) filter (where is_examined), 0) as examined_key,
        coalesce(
            sum(enrolment_record_key) filter (where is_passed_first_attempt), 0
        ) as passed_first_attempt_key,
        coalesce(sum(enrolment_record_key) filter (where is_passed_any_attempt), 0) as passed_key
    from admitted_per_level
    group by evaluation_level, entity_id, quarter

),

evaluations_on_courses as (

    select
        evaluations.overall_score,
        evaluations.recommend_score,
        {{ record_key('evaluations.evaluation_id') }} as evaluation_record_key,
        sessions.course_id,
        course_profile.category_code,
        course_profile.supplier_id,
        strftime(sessions.start_date, '%Y')
        || '-Q'
        || cast(quarter(sessions.start_date) as varchar) as quarter  -- noqa: RF04
    from evaluations
    inner join sessions
        on evaluations.session_id = sessions.session_id
    inner join course_profile
        on sessions.course_id = course_profile.course_id
    where {{ in_changed_years('year(sessions.start_date)') }}

),

evaluation_counts as (

    select
        levels.evaluation_level,
        case levels.evaluation_level
            when 'course' then evaluations_on_courses.course_id
            when 'supplier' then evaluations_on_courses.supplier_id
            else evaluations_on_courses.category_code
        end as entity_id,
        evaluations_on_courses.quarter,
        count(*) as responses,
        count(evaluations_on_courses.overall_score) as overall_responses,
        coalesce(sum(evaluations_on_courses.overall_score), 0) as overall_score_sum,
        count(evaluations_on_courses.recommend_score) as recommend_responses,
        count(*) filter (where evaluations_on_courses.recommend_score >= 9) as promoters,
        count(*) filter (where evaluations_on_courses.recommend_score <= 6) as detractors,
        sum(evaluations_on_courses.evaluation_record_key) as responses_key,
        coalesce(
            sum(evaluations_on_courses.evaluation_record_key)
            filter (where evaluations_on_courses.overall_score is not null),
            0
        ) as overall_responses_key,
        coalesce(
            sum(evaluations_on_courses.evaluation_record_key)
            filter (where evaluations_on_courses.recommend_score is not null),
            0
        ) as recommend_responses_key,
        coalesce(
            sum(evaluations_on_courses.evaluation_record_key)
            filter (where evaluations_on_courses.recommend_score >= 9),
            0
        ) as promoters_key,
        coalesce(
            sum(evaluations_on_courses.evaluation_record_key)
            filter (where evaluations_on_courses.recommend_score <= 6),
            0
        ) as detractors_key
    from evaluations_on_courses
    cross join (values ('course'), ('supplier'), ('category')) as levels (evaluation_level)
    group by all

),

spend_on_courses as (

    select
        cost_allocation.course_id,
        cost_allocation.quarter,
        course_profile.category_code,
        course_profile.supplier_id,
        sum(cost_allocation.amount_eur) as spend_eur
    from cost_allocation
    inner join course_profile
        on cost_allocation.course_id = course_profile.course_id
    {# the allocation's year column (the year of its quarter), so that the other years'
       row groups are skipped #}
    where {{ in_changed_years('cost_allocation.year') }}
    group by all

),

spend_counts as (

    select
        levels.evaluation_level,
        case levels.evaluation_level
            when 'course' then spend_on_courses.course_id
            when 'supplier' then spend_on_courses.supplier_id
            else spend_on_courses.category_code
        end as entity_id,
        spend_on_courses.quarter,
        sum(spend_on_courses.spend_eur) as spend_eur
    from spend_on_courses
    cross join (values ('course'), ('supplier'), ('category')) as levels (evaluation_level)
    group by all

),

quarter_cells as (

    {# A cell exists where somebody was admitted: responses or spend without any
       participant (e.g. only late cancellations) have no persons to describe them. #}
    select
        enrolment_counts.evaluation_level,
        enrolment_counts.entity_id,
        'quarter' as period_type,
        enrolment_counts.quarter as period,
        enrolment_counts.year,
        enrolment_counts.quarter,
        enrolment_counts.participants,
        enrolment_counts.enrolments,
        enrolment_counts.completions,
        enrolment_counts.no_shows,
        enrolment_counts.days_scheduled,
        enrolment_counts.days_present,
        enrolment_counts.examined,
        enrolment_counts.passed_first_attempt,
        enrolment_counts.passed,
        enrolment_counts.exam_score_sum,
        enrolment_counts.completion_lead_days_contributors,
        enrolment_counts.completion_lead_days_sum,
        enrolment_counts.training_hours,
        coalesce(evaluation_counts.responses, 0) as responses,
        coalesce(evaluation_counts.overall_responses, 0) as overall_responses,
        coalesce(evaluation_counts.overall_score_sum, 0) as overall_score_sum,
        coalesce(evaluation_counts.recommend_responses, 0) as recommend_responses,
        coalesce(evaluation_counts.promoters, 0) as promoters,
        coalesce(evaluation_counts.detractors, 0) as detractors,
        cast(coalesce(spend_counts.spend_eur, 0) as decimal(18, 2)) as spend_eur,
        enrolment_counts.participants_key,
        enrolment_counts.enrolments_key,
        enrolment_counts.completions_key,
        enrolment_counts.no_shows_key,
        enrolment_counts.days_scheduled_key,
        enrolment_counts.days_present_key,
        enrolment_counts.examined_key,
        enrolment_counts.passed_first_attempt_key,
        enrolment_counts.passed_key,
        coalesce(evaluation_counts.responses_key, 0) as responses_key,
        coalesce(evaluation_counts.overall_responses_key, 0) as overall_responses_key,
        coalesce(evaluation_counts.recommend_responses_key, 0) as recommend_responses_key,
        coalesce(evaluation_counts.promoters_key, 0) as promoters_key,
        coalesce(evaluation_counts.detractors_key, 0) as detractors_key
    from enrolment_counts
    left join evaluation_counts
        on
            enrolment_counts.evaluation_level = evaluation_counts.evaluation_level
            and enrolment_counts.entity_id = evaluation_counts.entity_id
            and enrolment_counts.quarter = evaluation_counts.quarter
    left join spend_counts
        on
            enrolment_counts.evaluation_level = spend_counts.evaluation_level
            and enrolment_counts.entity_id = spend_counts.entity_id
            and enrolment_counts.quarter = spend_counts.quarter

),

year_cells as (

    select
        evaluation_level,
        entity_id,
        'year' as period_type,
        cast(year as varchar) as period,
        year,
        cast(null as varchar) as quarter,  -- noqa: RF04
        sum(participants) as participants,
        sum(enrolments) as enrolments,
        sum(completions) as completions,
        sum(no_shows) as no_shows,
        sum(days_scheduled) as days_scheduled,
        sum(days_present) as days_present,
        sum(examined) as examined,
        sum(passed_first_attempt) as passed_first_attempt,
        sum(passed) as passed,
        sum(exam_score_sum) as exam_score_sum,
        sum(completion_lead_days_contributors) as completion_lead_days_contributors,
        sum(completion_lead_days_sum) as completion_lead_days_sum,
        sum(training_hours) as training_hours,
        sum(responses) as responses,
        sum(overall_responses) as overall_responses,
        sum(overall_score_sum) as overall_score_sum,
        sum(recommend_responses) as recommend_responses,
        sum(promoters) as promoters,
        sum(detractors) as detractors,
        sum(spend_eur) as spend_eur,
        {# a year's records are its quarters' records: its key is the sum of theirs #}
        sum(participants_key) as participants_key,
        sum(enrolments_key) as enrolments_key,
        sum(completions_key) as completions_key,
        sum(no_shows_key) as no_shows_key,
        sum(days_scheduled_key) as days_scheduled_key,
        sum(days_present_key) as days_present_key,
        sum(examined_key) as examined_key,
        sum(passed_first_attempt_key) as passed_first_attempt_key,
        sum(passed_key) as passed_key,
        sum(responses_key) as responses_key,
        sum(overall_responses_key) as overall_responses_key,
        sum(recommend_responses_key) as recommend_responses_key,
        sum(promoters_key) as promoters_key,
        sum(detractors_key) as detractors_key
    from quarter_cells
    group by evaluation_level, entity_id, year

),

cells as (

    select * from quarter_cells
    union all by name
    select * from year_cells

),

final as (

    {# A course cell names its category and supplier: the nesting the audit uses. #}
    select
        cells.*,
        course_profile.category_code,
        course_profile.supplier_id
    from cells
    left join course_profile
        on
            cells.evaluation_level = 'course'
            and cells.entity_id = course_profile.course_id

)

select * from final
order by year  {# a year's rows stored together: see year_incremental_config #}
