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

final as (

    select
        cells.*,
        {{ perturbed_counts('cells', evaluation_counts()) }}
    from cells

)

select * from final  -- noqa: AM04
order by year  {# a year's rows stored together: see year_incremental_config #}
