{# Every count of the participation cells next to its perturbed value (cell key method,
   see leerdata.sdc.ptable). The true counts stay in the restricted zone, for the
   build's disclosure audit and the thresholds of means and rates. #}

with

cells as (

    select * from {{ ref('int_participation_cells') }}

),

final as (

    select
        cells.*,
        {{ perturbed_counts('cells', participation_counts()) }}
    from cells

)

select * from final  -- noqa: AM04
