{# One row per session with the course's price row that applies to it: the period whose
   [valid_from, valid_to] holds the session start date (valid_to inclusive, NULL = open).
   Every finance rule (price, VAT, cancellation window, supplier, creditor) reads that
   one row, so a price change takes effect for sessions starting on or after its date. #}

with

sessions as (

    select * from {{ ref('stg_catalogue__sessions') }}

),

courses as (

    select * from {{ ref('stg_catalogue__courses') }}

),

suppliers as (

    select * from {{ ref('stg_catalogue__suppliers') }}

),

price_row_on_start_date as (

    select
        sessions.session_id,
        sessions.course_id,
        sessions.start_date,
        sessions.end_date,
        sessions.session_status,
        courses.valid_from as price_valid_from,
        courses.course_title,
        courses.supplier_id,
        courses.owner_department_code,
        courses.pricing_model,
        courses.price_eur,
        courses.vat_rate,
        courses.free_cancellation_days,
        courses.late_cancellation_fee_pct
    from sessions
    left join courses
        on
            sessions.course_id = courses.course_id
            and sessions.start_date >= courses.valid_from
            and sessions.start_date <= coalesce(courses.valid_to, date '9999-12-31')
    {# Overlapping price periods are a catalogue error; the latest period wins so a
       session still gets exactly one row. #}
    qualify row_number() over (
        partition by sessions.session_id
        order by courses.valid_from desc nulls last
    ) = 1

),

final as (

    select
        price_row_on_start_date.session_id,
        price_row_on_start_date.course_id,
        price_row_on_start_date.start_date,
        price_row_on_start_date.end_date,
        price_row_on_start_date.session_status,
        price_row_on_start_date.session_status = 'cancelled_by_supplier' as is_cancelled_by_supplier,
        price_row_on_start_date.price_valid_from is not null as has_price_row,
        strftime(price_row_on_start_date.start_date, '%Y')
        || '-Q'
        || cast(quarter(price_row_on_start_date.start_date) as varchar) as quarter,  -- noqa: RF04
        price_row_on_start_date.price_valid_from,
        price_row_on_start_date.course_title,
        price_row_on_start_date.supplier_id,
        coalesce(suppliers.is_internal, false) as is_internal_course,
        price_row_on_start_date.owner_department_code,
        price_row_on_start_date.pricing_model,
        price_row_on_start_date.price_eur,
        price_row_on_start_date.vat_rate,
        price_row_on_start_date.free_cancellation_days,
        price_row_on_start_date.late_cancellation_fee_pct,
        {# interpretation #17: fee = round_half_up(price x pct / 100, 2); DuckDB rounds
           decimals half away from zero, which is half-up for these non-negative prices.
           Multiplying by 0.01 keeps the arithmetic in DECIMAL (a division would not). #}
        cast(
            round(
                price_row_on_start_date.price_eur
                * price_row_on_start_date.late_cancellation_fee_pct
                * 0.01,
                2
            ) as decimal(18, 2)
        ) as late_cancellation_fee_eur
    from price_row_on_start_date
    left join suppliers
        on price_row_on_start_date.supplier_id = suppliers.supplier_id

)

select * from final
