{# One row per course: its descriptive attributes and its latest price period. Prices
   per session date come from stg_catalogue__courses (applicable price), not from here. #}

with

courses as (

    select * from {{ ref('stg_catalogue__courses') }}

),

suppliers as (

    select * from {{ ref('stg_catalogue__suppliers') }}

),

course_categories as (

    select * from {{ ref('course_categories') }}

),

price_periods_counted as (

    select
        *,
        count(*) over (partition by course_id) as price_period_count
    from courses
    qualify row_number() over (partition by course_id order by valid_from desc) = 1

),

final as (

    select
        price_periods_counted.course_id,
        price_periods_counted.course_title,
        price_periods_counted.supplier_id,
        suppliers.supplier_name,
        coalesce(suppliers.is_internal, false) as is_internal,
        price_periods_counted.owner_department_code,
        price_periods_counted.category_code,
        course_categories.name_nl as category_name_nl,
        course_categories.name_en as category_name_en,
        price_periods_counted.delivery_mode,
        price_periods_counted.duration_hours,
        price_periods_counted.pricing_model,
        price_periods_counted.has_exam,
        price_periods_counted.price_eur as latest_price_eur,
        price_periods_counted.vat_rate as latest_vat_rate,
        price_periods_counted.valid_from as latest_price_valid_from,
        price_periods_counted.valid_to as latest_price_valid_to,
        price_periods_counted.price_period_count
    from price_periods_counted
    left join suppliers
        on price_periods_counted.supplier_id = suppliers.supplier_id
    left join course_categories
        on price_periods_counted.category_code = course_categories.category_code

)

select * from final
