{# Per session and payer department: how many billable enrolments it has. These counts
   are the weights of a per-session amount's split.

   Year-incremental (leerdata.builder.periods): `year` is the session's, from
   int_enrolments_billed. #}

{{ year_incremental_config(with_sentinel=true) }}

with

enrolments_billed as (

    select * from {{ ref('int_enrolments_billed') }}

),

final as (

    select
        session_id,
        payer_department_code,
        year,
        count(*) as billable_enrolment_count
    from enrolments_billed
    where is_billable and {{ in_changed_years('year', with_sentinel=true) }}
    group by session_id, payer_department_code, year

)

select * from final
order by year  {# a year's rows stored together: see year_incremental_config #}
