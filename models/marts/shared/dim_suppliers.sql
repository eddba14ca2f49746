with

suppliers as (

    select * from {{ ref('stg_catalogue__suppliers') }}

),

courses as (

    select * from {{ ref('stg_catalogue__courses') }}

),

course_counts as (

    select
        supplier_id,
        count(distinct course_id) as course_count
    from courses
    group by supplier_id

),

final as (

    select
        suppliers.supplier_id,
        suppliers.supplier_name,
        suppliers.kvk_number,
        suppliers.vat_number,
        suppliers.is_internal,
        coalesce(course_counts.course_count, 0) as course_count
    from suppliers
    left join course_counts
        on suppliers.supplier_id = course_counts.supplier_id

)

select * from final
