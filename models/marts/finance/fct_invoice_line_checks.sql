{# The three-way match per document line, as published: supplier references, amounts,
   verdict and reason codes, and the net assessment of the order line after credit notes
   and corrections (interpretations #26-#29). No person data: no enrolment pseudonym,
   never the item name. #}

with

invoice_lines_netted as (

    select * from {{ ref('int_invoice_lines_netted') }}

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
        reason_codes,
        document_key,
        document_type,
        corrected_invoice_id,
        split_part(target_document_key, '|', 2) as netted_against_invoice_id,
        target_line_id as netted_against_line_id,
        vat_category_id,
        line_allowance_eur,
        line_charge_eur,
        netted_amount_eur,
        adjusted_by_invoice_ids,
        credited_amount_eur,
        net_amount_eur as net_invoiced_amount_eur,
        net_approved_amount_eur,
        net_disputed_amount_eur,
        net_on_hold_amount_eur,
        net_tolerated_excess_eur,
        net_verdict,
        net_reason_codes
    from invoice_lines_netted

)

select * from final
