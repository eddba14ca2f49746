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

    {# the means as published where the build's audit withholds nothing: the audit
       reads them as sums (leerdata.sdc.reader_model), the published model shows them #}
    select
        perturbed.*,
        case
            when {{ shown_over_enough('perturbed.perturbed_approved_enrolments') }}
                then round(perturbed.approval_lead_days_sum / perturbed.approved_enrolments, 0)
        end as publishable_mean_approval_lead_days
    from perturbed

)

select * from final  -- noqa: AM04
order by year  {# a year's rows stored together: see year_incremental_config #}
