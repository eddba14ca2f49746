{# Category x quarter evaluation, protected (see int_evaluation_cells_protected). #}

with

published_cells as (

    select * from {{ ref('int_evaluation_cells_published') }}
    where evaluation_level = 'category' and period_type = 'quarter'

),

final as (

    select
        entity_id as category_code,
        quarter,
        year,
        {{ evaluation_measures() }}
    from published_cells

)

select * from final
