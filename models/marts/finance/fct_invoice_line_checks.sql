{# The three-way match per invoice line, as published: supplier references, amounts,
   verdict and reason codes. No person data: no enrolment pseudonym, never the item
   name. #}

with

invoice_lines_checked as (

    select * from {{ ref('int_invoice_lines_checked') }}

),

final as (

    select
        invoice_id,
        supplier_id,
        line_id,
        order_line_ref,
        course_id,
        issue_date,
        reference_kind,
        session_id,
        matched_course_id,
        pricing_model,
        quarter,
        invoiced_quantity,
        price_amount_eur,
        vat_percent,
        invoiced_amount_eur,
        expected_amount_eur,
        approved_amount_eur,
        disputed_amount_eur,
        on_hold_amount_eur,
        tolerated_excess_eur,
        verdict,
        reason_codes
    from invoice_lines_checked

)

select * from final
