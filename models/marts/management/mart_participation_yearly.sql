{# Participation per year x department x breakdown, protected (see
   int_participation_cells_published). breakdown 'total' is the department total. #}

with

published_cells as (

    select * from {{ ref('int_participation_cells_published') }}
    where period_type = 'year'

),

final as (

    select
        year,
        {{ participation_measures() }}
    from published_cells

)

select * from final
