{# Every count of the evaluation cells next to its perturbed value (cell key method, see
   leerdata.sdc.ptable): published = true + noise(true, cell key). The true counts stay
   here, in the restricted zone, for the build's disclosure audit and the denominator
   thresholds of rates; only the perturbed values and figures derived from them leave. #}

with

cells as (

    select * from {{ ref('int_evaluation_cells') }}

),

final as (

    select
        cells.*,
        {{ perturbed_counts('cells', evaluation_counts()) }}
    from cells

)

select * from final  -- noqa: AM04
