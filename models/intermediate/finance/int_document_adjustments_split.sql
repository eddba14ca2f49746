{# Document-level allowances and agreed charges (interpretation #31), spread over the
   document's lines with a positive net approved amount, in proportion to it, by the
   largest-remainder method (ties: line id), so the shares add up to the cent. A
   document with no such line keeps the amount on hold (line_id NULL). Integer cents
   throughout. #}

with

allowance_charges_assessed as (

    select * from {{ ref('int_allowance_charges_assessed') }}

),

invoice_lines_netted as (

    select * from {{ ref('int_invoice_lines_netted') }}

),

document_adjustments as (

    select
        document_key,
        sum(accepted_amount_eur) as accepted_amount_eur
    from allowance_charges_assessed
    where level = 'document'
    group by document_key
    having sum(accepted_amount_eur) <> 0

),

line_weights as (

    select
        document_adjustments.document_key,
        invoice_lines_netted.line_id,
        cast(invoice_lines_netted.net_approved_amount_eur * 100 as hugeint) as weight,
        cast(abs(document_adjustments.accepted_amount_eur) * 100 as hugeint) as item_cents,
        case when document_adjustments.accepted_amount_eur < 0 then -1 else 1 end as amount_sign
    from document_adjustments
    inner join invoice_lines_netted
        on document_adjustments.document_key = invoice_lines_netted.document_key
    where invoice_lines_netted.net_approved_amount_eur > 0

),

floors as (

    select
        *,
        (item_cents * weight) // sum(weight) over (partition by document_key) as floor_cents,
        (item_cents * weight) % sum(weight) over (partition by document_key) as remainder_numerator
    from line_weights

),

remainders_ranked as (

    select
        *,
        item_cents - sum(floor_cents) over (partition by document_key) as cents_left_over,
        row_number() over (
            partition by document_key
            order by remainder_numerator desc, line_id asc
        ) as remainder_rank
    from floors

),

shares as (

    select
        document_key,
        line_id,
        cast(
            cast(
                amount_sign * (floor_cents + case when remainder_rank <= cents_left_over then 1 else 0 end)
                as decimal(18, 0)
            ) * 0.01 as decimal(18, 2)
        ) as share_eur,
        false as is_on_hold
    from remainders_ranked

),

documents_without_approved_lines as (

    select
        document_key,
        cast(null as varchar) as line_id,
        cast(accepted_amount_eur as decimal(18, 2)) as share_eur,
        true as is_on_hold
    from document_adjustments
    where document_key not in (select line_weights.document_key from line_weights)

),

final as (

    select * from shares
    union all
    select * from documents_without_approved_lines

)

select * from final
