{# One row per person x quarter (the counting unit of every published aggregate) with
   the one HR state it is reported under: the state on the start date of the person's
   first session in the quarter (an admitted one if there is any). One state per
   person-quarter keeps the participation tables additive: the directorates, scale
   bands, age bands and genders of a department add up to the department, which the
   disclosure-control audit relies on. 

   Year-incremental: a build recomputes only the years its new batches touch
   (leerdata.builder.periods). #}

{{ year_incremental_config() }}

with

enrolment_outcomes as (

    select * from {{ ref('int_enrolments_outcomes') }}
    where {{ in_changed_years('year') }}

),

employees_historised as (

    select * from {{ ref('int_employees_historised') }}

),

salary_scale_bands as (

    select * from {{ ref('salary_scale_bands') }}

),

retained_enrolment_attributes as (

    {# What retention froze before it unlinked an enrolment from its person. #}
    select * from {{ ref('stg_retention__enrolment_attributes') }}

),

reference_enrolments as (

    select
        counting_key,
        person_key,
        enrolment_key,
        quarter,
        year,
        start_date as reference_date
    from enrolment_outcomes
    qualify row_number() over (
        partition by counting_key, quarter
        order by is_admitted desc, start_date asc, enrolment_key asc
    ) = 1

),

final as (

    select
        reference_enrolments.counting_key,
        reference_enrolments.quarter,
        reference_enrolments.year,
        reference_enrolments.reference_date,
        coalesce(
            retained.department_code, employees_historised.department_code, 'unknown'
        ) as department_code,
        coalesce(
            retained.directorate, employees_historised.directorate, 'unknown'
        ) as directorate,
        coalesce(salary_scale_bands.scale_band, 'unknown') as scale_band,
        case
            when coalesce(retained.birth_year, employees_historised.birth_year) is null then 'unknown'
            when
                reference_enrolments.year - coalesce(retained.birth_year, employees_historised.birth_year)
                < 25
                then '<25'
            when
                reference_enrolments.year - coalesce(retained.birth_year, employees_historised.birth_year)
                < 35
                then '25-34'
            when
                reference_enrolments.year - coalesce(retained.birth_year, employees_historised.birth_year)
                < 45
                then '35-44'
            when
                reference_enrolments.year - coalesce(retained.birth_year, employees_historised.birth_year)
                < 55
                then '45-54'
            else '55+'
        end as age_band,
        coalesce(retained.gender, employees_historised.gender, 'unknown') as gender
    from reference_enrolments
    left join employees_historised
        on
            {{ hr_state_on(
                'employees_historised',
                'reference_enrolments.person_key',
                'reference_enrolments.reference_date',
            ) }}
    left join retained_enrolment_attributes as retained
        on reference_enrolments.enrolment_key = retained.enrolment_key
    left join salary_scale_bands
        on
            coalesce(retained.salary_scale, employees_historised.salary_scale)
            = salary_scale_bands.salary_scale

)

select * from final
order by year  {# a year's rows stored together: see year_incremental_config #}
