{# One row per document line. The item name is free text that may name a participant: it
   stays in the raw table. #}

with

raw_invoice_lines as (

    {{ rows_of_latest_batch(source('invoices', 'raw_invoice_lines'), source('steward', 'load_manifest')) }}

),

invoices as (

    select * from {{ ref('stg_invoices__invoices') }}

),

lines_of_winning_files as (

    {# The same choice as stg_invoices__invoices: lines come from the file that won. #}
    select
        raw_invoice_lines.*,
        invoices.document_key,
        invoices.document_type,
        invoices.amount_sign
    from raw_invoice_lines
    inner join invoices
        on
            raw_invoice_lines.invoice_id = invoices.invoice_id
            and raw_invoice_lines._file_name = invoices.file_name

),

final as (

    select
        document_key,
        invoice_id,
        document_type,
        cast(amount_sign * line_extension_amount as decimal(18, 2)) as signed_amount_eur,
        vat_category_id,
        cast(base_quantity as decimal(18, 4)) as base_quantity,
        line_id,
        cast(invoiced_quantity as decimal(18, 4)) as invoiced_quantity,
        cast(line_extension_amount as decimal(18, 2)) as line_extension_amount_eur,
        order_line_ref,
        course_id,
        cast(vat_percent as decimal(9, 2)) as vat_percent,
        {# interpretation #5: more than two decimals quarantines the file, so the cast
           to cents loses nothing. #}
        cast(price_amount as decimal(18, 2)) as price_amount_eur
    from lines_of_winning_files

)

select * from final
