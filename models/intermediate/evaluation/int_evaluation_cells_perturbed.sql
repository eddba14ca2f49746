{# Every count of the evaluation cells next to its perturbed value (cell key method, see
   leerdata.sdc.ptable): published = true + noise(true, cell key). The true counts stay
   here, in the restricted zone, for the build's disclosure audit and the denominator
   thresholds of rates; only the perturbed values and figures derived from them leave. 

   Year-incremental: a build recomputes only the years its new batches touch
   (leerdata.builder.periods). #}

{{ year_incremental_config() }}

with

cells as (

    select * from {{ ref('int_evaluation_cells') }}
    where {{ in_changed_years('year') }}

),

perturbed as (

    select
        cells.*,
        {{ perturbed_counts('cells', evaluation_counts()) }}
    from cells

),

final as (

    {# the means as published where the build's audit withholds nothing: the audit
       reads them as sums (leerdata.sdc.reader_model), the published model shows them #}
    select
        perturbed.*,
        case
            when {{ shown_over_enough('perturbed.perturbed_overall_responses') }}
                then round(perturbed.overall_score_sum / perturbed.overall_responses, 1)
        end as publishable_mean_overall,
        case
            when {{ shown_over_enough('perturbed.perturbed_examined') }}
                then round(perturbed.exam_score_sum / perturbed.examined, 0)
        end as publishable_mean_exam_score
    from perturbed

)

select * from final  -- noqa: AM04
order by year  {# a year's rows stored together: see year_incremental_config #}
