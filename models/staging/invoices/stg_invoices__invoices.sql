{# One row per document (invoice, credit note or corrective invoice; interpretation
   #26), keyed by (document_type, invoice_id). #}

with

raw_invoices as (

    {{ rows_of_latest_batch(source('invoices', 'raw_invoices'), source('steward', 'load_manifest')) }}

),

documents_typed as (

    {# Rows loaded before document types existed are invoices. #}
    select
        *,
        coalesce(document_type, 'invoice') as typed_document_type
    from raw_invoices

),

newest_file_per_invoice as (

    {# A document number delivered again in a file with another name is a resubmission:
       the last loaded file wins, so a document is never counted twice. A credit note
       numbered like an invoice is another document (interpretation #26).
       delivery_count tells the steward (singular test warn_invoice_resubmitted). #}
    select
        *,
        count(*) over (partition by typed_document_type, invoice_id) as delivery_count
    from documents_typed
    qualify row_number() over (
        partition by typed_document_type, invoice_id
        order by _batch_id desc, _line_number desc
    ) = 1

),

final as (

    select
        typed_document_type || '|' || invoice_id as document_key,
        invoice_id,
        typed_document_type as document_type,
        corrected_invoice_id,
        order_reference,
        cast(allowance_total as decimal(18, 2)) as allowance_total_eur,
        cast(charge_total as decimal(18, 2)) as charge_total_eur,
        cast(tax_exclusive_total as decimal(18, 2)) as tax_exclusive_total_eur,
        cast(tax_inclusive_total as decimal(18, 2)) as tax_inclusive_total_eur,
        cast(prepaid_total as decimal(18, 2)) as prepaid_total_eur,
        cast(payable_rounding as decimal(18, 2)) as payable_rounding_eur,
        cast(payable_total as decimal(18, 2)) as payable_total_eur,
        cast(tax_total as decimal(18, 2)) as tax_total_eur,
        {# Credit-note amounts count negative (interpretation #26). #}
        case when typed_document_type = 'credit_note' then -1 else 1 end as amount_sign,
        issue_date,
        invoice_type_code,
        currency_code,
        buyer_reference,
        supplier_company_id as supplier_kvk_number,
        cast(line_extension_total as decimal(18, 2)) as line_extension_total_eur,
        line_count,
        _file_name as file_name,
        delivery_count
    from newest_file_per_invoice

)

select * from final
