{{ config(severity='warn') }}

{# An invoice number that arrived in more than one landing file: staging keeps the last
   loaded file (a resubmission). Not an error, but the steward should know. #}

with

invoices as (

    select * from {{ ref('stg_invoices__invoices') }}

),

final as (

    select
        invoice_id,
        file_name,
        delivery_count
    from invoices
    where delivery_count > 1

)

select * from final
