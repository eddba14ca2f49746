{# One row per allowance or charge of a document or a line (interpretation #30). The
   reason text is free text and stays in the raw table; the reason code is a code list
   value. #}

with

raw_allowance_charges as (

    {{ rows_of_latest_batch(
        source('invoices', 'raw_invoice_allowance_charges'),
        source('steward', 'load_manifest'),
    ) }}

),

invoices as (

    select * from {{ ref('stg_invoices__invoices') }}

),

final as (

    select
        invoices.document_key,
        raw_allowance_charges.invoice_id,
        invoices.document_type,
        raw_allowance_charges.level,
        raw_allowance_charges.line_id,
        raw_allowance_charges.sequence,
        raw_allowance_charges.charge_indicator as is_charge,
        cast(raw_allowance_charges.amount as decimal(18, 2)) as amount_eur,
        cast(raw_allowance_charges.base_amount as decimal(18, 2)) as base_amount_eur,
        raw_allowance_charges.reason_code,
        raw_allowance_charges.tax_category_id,
        cast(raw_allowance_charges.tax_percent as decimal(9, 2)) as tax_percent,
        invoices.amount_sign
    from raw_allowance_charges
    inner join invoices
        on
            raw_allowance_charges.invoice_id = invoices.invoice_id
            and raw_allowance_charges._file_name = invoices.file_name

)

select * from final
