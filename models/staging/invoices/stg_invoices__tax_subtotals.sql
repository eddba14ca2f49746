{# One row per VAT subtotal (TaxTotal/TaxSubtotal) of a document. #}

with

raw_tax_subtotals as (

    {{ rows_of_latest_batch(
        source('invoices', 'raw_invoice_tax_subtotals'),
        source('steward', 'load_manifest'),
    ) }}

),

invoices as (

    select * from {{ ref('stg_invoices__invoices') }}

),

final as (

    select
        invoices.document_key,
        raw_tax_subtotals.invoice_id,
        raw_tax_subtotals.sequence,
        cast(raw_tax_subtotals.taxable_amount as decimal(18, 2)) as taxable_amount_eur,
        cast(raw_tax_subtotals.tax_amount as decimal(18, 2)) as tax_amount_eur,
        raw_tax_subtotals.tax_category_id,
        cast(raw_tax_subtotals.tax_percent as decimal(9, 2)) as tax_percent
    from raw_tax_subtotals
    inner join invoices
        on
            raw_tax_subtotals.invoice_id = invoices.invoice_id
            and raw_tax_subtotals._file_name = invoices.file_name

)

select * from final
