{# Every count of the participation cells next to its perturbed value (cell key method,
   see leerdata.sdc.ptable). The true counts stay in the restricted zone, for the
   build's disclosure audit and the thresholds of means and rates. 

   Year-incremental: a build recomputes only the years its new batches touch
   (leerdata.builder.periods). #}

{{ year_incremental_config() }}

with

cells as (

    select * from {{ ref('int_participation_cells') }}
    where {{ in_changed_years('year') }}

),

perturbed as (

    select
        cells.*,
        {{ perturbed_counts('cells', participation_counts()) }}
    from cells

),

final as (

    select
        perturbed.*,
        {{ publishable_mean('perturbed', 'approval_lead_days_sum', 'approved_enrolments', 0) }}
            as publishable_mean_approval_lead_days
    from perturbed

)

select * from final  -- noqa: AM04
order by year  {# a year's rows stored together: see year_incremental_config #}
