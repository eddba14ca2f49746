{# One row per course price period (key course_id, valid_from). #}

with

raw_courses as (

    {{ rows_of_latest_batch(source('catalogue', 'raw_courses'), source('steward', 'load_manifest')) }}

),

newest_row_per_price_period as (

    {# Interpretation #2: the newest file date wins, ties by batch, then line (last wins). #}
    select *
    from raw_courses
    qualify row_number() over (
        partition by course_id, valid_from
        order by _file_date desc, _batch_id desc, _line_number desc
    ) = 1

),

final as (

    select
        course_id,
        valid_from,
        valid_to,
        title as course_title,
        supplier_id,
        owner_department_code,
        category_code,
        delivery_mode,
        cast(duration_hours as decimal(18, 2)) as duration_hours,
        pricing_model,
        cast(price_eur as decimal(18, 2)) as price_eur,
        vat_rate,
        free_cancellation_days,
        cast(late_cancellation_fee_pct as decimal(18, 2)) as late_cancellation_fee_pct,
        has_exam
    from newest_row_per_price_period

)

select * from final
