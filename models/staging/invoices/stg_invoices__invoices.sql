{# One row per invoice. #}

with

raw_invoices as (

    {{ rows_of_latest_batch(source('invoices', 'raw_invoices'), source('steward', 'load_manifest')) }}

),

newest_file_per_invoice as (

    {# An invoice number delivered again in a file with another name is a resubmission:
       the last loaded file wins, so an invoice is never counted twice. delivery_count
       tells the steward (singular test warn_invoice_resubmitted). #}
    select
        *,
        count(*) over (partition by invoice_id) as delivery_count
    from raw_invoices
    qualify row_number() over (
        partition by invoice_id
        order by _batch_id desc, _line_number desc
    ) = 1

),

final as (

    select
        invoice_id,
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
