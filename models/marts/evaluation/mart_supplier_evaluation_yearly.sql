{# Supplier x year evaluation, protected (see int_evaluation_cells_protected). #}

with

published_cells as (

    select * from {{ ref('int_evaluation_cells_published') }}
    where evaluation_level = 'supplier' and period_type = 'year'

),

final as (

    select
        entity_id as supplier_id,
        year,
        {{ evaluation_measures() }}
    from published_cells

)

select * from final
