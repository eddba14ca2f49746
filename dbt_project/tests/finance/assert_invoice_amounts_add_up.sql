{# Invariant: per invoice, approved + disputed + on hold (+ the tolerated cent of
   approved lines) = invoiced, and the tolerated excess is never more than one cent per
   line nor negative. #}

with

invoice_checks as (

    select * from {{ ref('fct_invoice_checks') }}

),

invoice_line_checks as (

    select * from {{ ref('fct_invoice_line_checks') }}

),

invoices_not_adding_up as (

    select
        invoice_id,
        'invoice parts do not add up' as failure
    from invoice_checks
    where
        approved_total_eur + disputed_total_eur + on_hold_total_eur + tolerated_excess_total_eur
        <> invoiced_total_eur

),

lines_not_adding_up as (

    select
        invoice_id || '|' || line_id as invoice_id,
        'line parts do not add up or tolerance out of range' as failure
    from invoice_line_checks
    where
        approved_amount_eur + disputed_amount_eur + on_hold_amount_eur + tolerated_excess_eur
        <> invoiced_amount_eur
        or tolerated_excess_eur < 0
        or tolerated_excess_eur > 0.01

),

final as (

    select * from invoices_not_adding_up
    union all
    select * from lines_not_adding_up

)

select * from final
