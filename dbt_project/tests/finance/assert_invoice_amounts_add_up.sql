{# Invariants (interpretation #35): per document, approved + disputed + on hold +
   tolerated + netted = invoiced - allowances + charges; per line, approved + disputed +
   on hold + tolerated + netted = invoiced, and the net split adds up to the net amount;
   per document chain (an invoice and everything netted against it) the net columns add
   up to the chain's signed line amounts. The tolerated excess is never more than one
   cent per line nor negative. #}

with

invoice_checks as (

    select * from {{ ref('fct_invoice_checks') }}

),

invoice_line_checks as (

    select * from {{ ref('fct_invoice_line_checks') }}

),

invoices_not_adding_up as (

    select
        document_key as invoice_id,
        'invoice parts do not add up' as failure
    from invoice_checks
    where
        approved_total_eur + disputed_total_eur + on_hold_total_eur + tolerated_excess_total_eur
        + netted_total_eur
        <> invoiced_total_eur - allowance_total_eur + charge_total_eur
        or net_approved_total_eur + net_disputed_total_eur + net_on_hold_total_eur
        + net_tolerated_excess_total_eur
        <> net_invoiced_total_eur - allowance_total_eur + charge_total_eur

),

lines_not_adding_up as (

    select
        document_key || '|' || line_id as invoice_id,
        'line parts do not add up or tolerance out of range' as failure
    from invoice_line_checks
    where
        approved_amount_eur + disputed_amount_eur + on_hold_amount_eur + tolerated_excess_eur
        + netted_amount_eur
        <> invoiced_amount_eur
        or net_approved_amount_eur + net_disputed_amount_eur + net_on_hold_amount_eur
        + net_tolerated_excess_eur
        <> net_invoiced_amount_eur
        or tolerated_excess_eur < 0
        or tolerated_excess_eur > 0.01
        or net_tolerated_excess_eur < 0
        or net_tolerated_excess_eur > 0.01

),

chains as (

    {# A chain is an invoice with the documents netted against it. #}
    select
        coalesce(
            case when netted_against_invoice_id is not null then 'invoice|' || netted_against_invoice_id end,
            document_key
        ) as chain_key,
        invoiced_amount_eur,
        net_invoiced_amount_eur
    from invoice_line_checks

),

chains_not_adding_up as (

    select
        chain_key as invoice_id,
        'document chain net amounts do not add up' as failure
    from chains
    group by chain_key
    having sum(invoiced_amount_eur) <> sum(net_invoiced_amount_eur)

),

final as (

    select * from invoices_not_adding_up
    union all
    select * from lines_not_adding_up
    union all
    select * from chains_not_adding_up

)

select * from final
