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

    select
        perturbed.*,
        {{ publishable_mean('perturbed', 'overall_score_sum', 'overall_responses', 1) }}
            as publishable_mean_overall,
        {{ publishable_mean('perturbed', 'exam_score_sum', 'examined', 0) }}
            as publishable_mean_exam_score
    from perturbed

)

select * from final  -- noqa: AM04
order by year  {# a year's rows stored together: see year_incremental_config #}
