{# One row per invoice line. The item name is free text that may name a participant: it
   stays in the raw table. #}

with

raw_invoices as (

    {{ rows_of_latest_batch(source('invoices', 'raw_invoices'), source('steward', 'load_manifest')) }}

),

raw_invoice_lines as (

    {{ rows_of_latest_batch(source('invoices', 'raw_invoice_lines'), source('steward', 'load_manifest')) }}

),

newest_file_per_invoice as (

    {# The same choice as stg_invoices__invoices: lines come from the file that won. #}
    select
        invoice_id,
        _file_name,
        _batch_id
    from raw_invoices
    qualify row_number() over (
        partition by invoice_id
        order by _batch_id desc, _line_number desc
    ) = 1

),

lines_of_winning_files as (

    select raw_invoice_lines.*
    from raw_invoice_lines
    inner join newest_file_per_invoice
        on
            raw_invoice_lines.invoice_id = newest_file_per_invoice.invoice_id
            and raw_invoice_lines._file_name = newest_file_per_invoice._file_name
            and raw_invoice_lines._batch_id = newest_file_per_invoice._batch_id

),

final as (

    select
        invoice_id,
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
