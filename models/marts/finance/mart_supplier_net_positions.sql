{# The net position per supplier (interpretation #35): its document chains summed. For
   finance's Factuurcontrole page and the dispute conversation with a supplier. #}

with

invoice_checks as (

    select * from {{ ref('fct_invoice_checks') }}

),

invoice_line_checks as (

    select * from {{ ref('fct_invoice_line_checks') }}

),

unplaced_credits as (

    select
        supplier_id,
        sum(invoiced_amount_eur) as unplaced_credit_total_eur
    from invoice_line_checks
    where reason_codes = 'CREDIT_WITHOUT_REFERENCE'
    group by supplier_id

),

per_supplier as (

    select
        supplier_id,
        count(*) filter (where document_type = 'invoice') as invoice_count,
        count(*) filter (where document_type = 'credit_note') as credit_note_count,
        count(*) filter (where document_type = 'corrective_invoice') as corrective_invoice_count,
        sum(invoiced_total_eur - allowance_total_eur + charge_total_eur) as invoiced_total_eur,
        sum(credited_total_eur) as credited_total_eur,
        sum(net_approved_total_eur) as net_approved_total_eur,
        sum(net_disputed_total_eur) as net_disputed_total_eur,
        sum(net_on_hold_total_eur) as net_on_hold_total_eur,
        sum(settled_line_count) as settled_line_count
    from invoice_checks
    group by supplier_id

),

final as (

    select
        per_supplier.supplier_id,
        per_supplier.invoice_count,
        per_supplier.credit_note_count,
        per_supplier.corrective_invoice_count,
        cast(per_supplier.invoiced_total_eur as decimal(18, 2)) as invoiced_total_eur,
        cast(per_supplier.credited_total_eur as decimal(18, 2)) as credited_total_eur,
        cast(per_supplier.net_approved_total_eur as decimal(18, 2)) as net_approved_total_eur,
        cast(per_supplier.net_disputed_total_eur as decimal(18, 2)) as net_disputed_total_eur,
        cast(per_supplier.net_on_hold_total_eur as decimal(18, 2)) as net_on_hold_total_eur,
        cast(coalesce(unplaced_credits.unplaced_credit_total_eur, 0) as decimal(18, 2))
            as unplaced_credit_total_eur,
        cast(per_supplier.settled_line_count as bigint) as settled_line_count
    from per_supplier
    left join unplaced_credits
        on per_supplier.supplier_id is not distinct from unplaced_credits.supplier_id

)

select * from final
