{# Course x quarter evaluation, protected (see int_evaluation_cells_protected). #}

with

published_cells as (

    select * from {{ ref('int_evaluation_cells_published') }}
    where evaluation_level = 'course' and period_type = 'quarter'

),

final as (

    select
        entity_id as course_id,
        category_code,
        supplier_id,
        quarter,
        year,
        {{ evaluation_measures() }}
    from published_cells

)

select * from final
