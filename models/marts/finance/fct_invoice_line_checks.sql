{# The three-way match per document line, as published: supplier references, amounts,
   verdict and reason codes, and the net assessment of the order line after credit notes
   and corrections (interpretations #26-#29). No person data: no enrolment pseudonym,
   never the item name. #}

{#- Year-incremental in the reporting file a day build starts from (a copy of the last
    published one); the mart has no year column: a line's year is that of its quarter,
    0 for a line without a session (no quarter). #}
{{ year_incremental_config(
    with_sentinel=true, year_expression='coalesce(cast(left(quarter, 4) as integer), 0)'
) }}

with

invoice_lines_netted as (

    select * from {{ ref('int_invoice_lines_netted') }}
    where {{ in_changed_years('year', with_sentinel=true) }}

),

document_adjustments_split as (

    select * from {{ ref('int_document_adjustments_split') }}
    where {{ in_changed_years('year', with_sentinel=true) }}

),

lines_with_shares as (

    select
        invoice_lines_netted.*,
        cast(coalesce(document_adjustments_split.share_eur, 0) as decimal(18, 2)) as document_share_eur
    from invoice_lines_netted
    left join document_adjustments_split
        on
            invoice_lines_netted.document_key = document_adjustments_split.document_key
            and invoice_lines_netted.line_id = document_adjustments_split.line_id

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
        net_reason_codes,
        document_share_eur
    from lines_with_shares

)

select * from final
order by quarter  {# a year's rows stored together: see year_incremental_config #}
