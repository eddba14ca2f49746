{# Invariant: no invoice line is approved for more than its expected amount, and only
   approved lines or lines disputed solely for their price approve anything. #}

with

invoice_line_checks as (

    select * from {{ ref('fct_invoice_line_checks') }}

),

final as (

    select
        invoice_id,
        line_id,
        verdict,
        reason_codes,
        expected_amount_eur,
        approved_amount_eur
    from invoice_line_checks
    where
        approved_amount_eur > expected_amount_eur
        or (approved_amount_eur <> 0 and reason_codes not in {{ amount_only_reason_code_sets() }})
        or net_approved_amount_eur > expected_amount_eur

)

select * from final
