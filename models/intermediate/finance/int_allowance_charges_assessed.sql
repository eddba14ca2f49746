{# Every allowance and charge with whether the buyer owes it (interpretation #30): an
   allowance always (the supplier may always ask less), a charge only when its reason
   code is an agreed surcharge. Amounts as they count: signed like the document (a credit
   note's charge is money back) and with an allowance negative. #}

with

allowance_charges as (

    select * from {{ ref('stg_invoices__allowance_charges') }}

),

agreed_charge_reasons as (

    select * from {{ ref('agreed_charge_reasons') }}

),

assessed as (

    select
        allowance_charges.*,
        not allowance_charges.is_charge or agreed_charge_reasons.reason_code is not null
            as is_accepted
    from allowance_charges
    left join agreed_charge_reasons
        on allowance_charges.reason_code = agreed_charge_reasons.reason_code

),

final as (

    select
        document_key,
        invoice_id,
        document_type,
        level,
        line_id,
        sequence,
        is_charge,
        amount_eur,
        base_amount_eur,
        reason_code,
        tax_category_id,
        tax_percent,
        amount_sign,
        is_accepted,
        cast(
            amount_sign * case when is_charge then amount_eur else -amount_eur end
            as decimal(18, 2)
        ) as counted_amount_eur,
        cast(
            case
                when
                    is_accepted
                    then amount_sign * case when is_charge then amount_eur else -amount_eur end
                else 0
            end
            as decimal(18, 2)
        ) as accepted_amount_eur,
        cast(case when is_accepted then 0 else amount_sign * amount_eur end as decimal(18, 2))
            as not_agreed_amount_eur
    from assessed

)

select * from final
