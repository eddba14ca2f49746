{# The check per document (invoice, credit note, corrective invoice): line amounts
   summed by verdict, the document-level allowances and charges, the invoice-level codes
   (TOTAL_MISMATCH, VAT_TOTAL_MISMATCH, CHARGE_NOT_AGREED; interpretations #30-#33), the
   status (docs/contract.md section 2) and, for an invoice, its net position after the credit
   notes and corrections applied to it (#29). #}

with

invoices as (

    select * from {{ ref('stg_invoices__invoices') }}

),

suppliers as (

    select * from {{ ref('stg_catalogue__suppliers') }}

),

invoice_lines_netted as (

    select * from {{ ref('int_invoice_lines_netted') }}

),

allowance_charges_assessed as (

    select * from {{ ref('int_allowance_charges_assessed') }}

),

document_adjustments_split as (

    select * from {{ ref('int_document_adjustments_split') }}

),

invoice_totals_checked as (

    select * from {{ ref('int_invoice_totals_checked') }}

),

supplier_per_kvk_number as (

    {# The same resolution as int_invoice_lines_resolved (interpretation #9). #}
    select
        kvk_number,
        supplier_id
    from suppliers
    where kvk_number is not null
    qualify row_number() over (partition by kvk_number order by supplier_id) = 1

),

line_totals as (

    select
        document_key,
        count(*) as line_count,
        sum(invoiced_amount_eur) as invoiced_total_eur,
        sum(approved_amount_eur) as approved_total_eur,
        sum(disputed_amount_eur) as disputed_total_eur,
        sum(on_hold_amount_eur) as on_hold_total_eur,
        sum(tolerated_excess_eur) as tolerated_excess_total_eur,
        sum(netted_amount_eur) as netted_total_eur,
        sum(credited_amount_eur) as credited_total_eur,
        sum(net_amount_eur) as net_invoiced_total_eur,
        sum(net_approved_amount_eur) as net_approved_total_eur,
        sum(net_disputed_amount_eur) as net_disputed_total_eur,
        sum(net_on_hold_amount_eur) as net_on_hold_total_eur,
        sum(net_tolerated_excess_eur) as net_tolerated_excess_total_eur,
        count(*) filter (where verdict = 'approved') as approved_line_count,
        count(*) filter (where verdict = 'disputed') as disputed_line_count,
        count(*) filter (where verdict = 'on_hold') as on_hold_line_count,
        count(*) filter (where net_verdict = 'settled') as settled_line_count,
        {# "something approved": an approved line, or the approved part of a line
           disputed only for its price. #}
        count(*) filter (where verdict = 'approved' or approved_amount_eur > 0) as lines_with_approval
    from invoice_lines_netted
    group by document_key

),

document_allowance_charges as (

    {# Document level, as they count (signed; an allowance negative). #}
    select
        document_key,
        sum(case when is_charge then 0 else -counted_amount_eur end) as allowance_total_eur,
        sum(case when is_charge then counted_amount_eur else 0 end) as charge_total_eur,
        sum(not_agreed_amount_eur) as charge_not_agreed_eur,
        count(*) filter (where not is_accepted) as charges_not_agreed
    from allowance_charges_assessed
    where level = 'document'
    group by document_key

),

document_adjustments as (

    select
        document_key,
        sum(case when is_on_hold then 0 else share_eur end) as adjustment_approved_eur,
        sum(case when is_on_hold then share_eur else 0 end) as adjustment_on_hold_eur
    from document_adjustments_split
    group by document_key

),

invoice_totals as (

    select
        invoices.document_key,
        invoices.invoice_id,
        invoices.document_type,
        invoices.corrected_invoice_id,
        supplier_per_kvk_number.supplier_id,
        invoices.issue_date,
        invoices.line_extension_total_eur as header_total_eur,
        coalesce(line_totals.line_count, 0) as line_count,
        coalesce(line_totals.invoiced_total_eur, 0) as invoiced_total_eur,
        coalesce(document_allowance_charges.allowance_total_eur, 0) as allowance_total_eur,
        coalesce(document_allowance_charges.charge_total_eur, 0) as charge_total_eur,
        coalesce(document_allowance_charges.charge_not_agreed_eur, 0) as charge_not_agreed_eur,
        coalesce(document_allowance_charges.charges_not_agreed, 0) as charges_not_agreed,
        coalesce(document_adjustments.adjustment_approved_eur, 0) as adjustment_approved_eur,
        coalesce(document_adjustments.adjustment_on_hold_eur, 0) as adjustment_on_hold_eur,
        coalesce(line_totals.approved_total_eur, 0) as line_approved_total_eur,
        coalesce(line_totals.disputed_total_eur, 0) as line_disputed_total_eur,
        coalesce(line_totals.on_hold_total_eur, 0) as line_on_hold_total_eur,
        coalesce(line_totals.tolerated_excess_total_eur, 0) as tolerated_excess_total_eur,
        coalesce(line_totals.netted_total_eur, 0) as netted_total_eur,
        coalesce(line_totals.credited_total_eur, 0) as credited_total_eur,
        coalesce(line_totals.net_invoiced_total_eur, 0) as net_invoiced_total_eur,
        coalesce(line_totals.net_approved_total_eur, 0) as net_line_approved_total_eur,
        coalesce(line_totals.net_disputed_total_eur, 0) as net_line_disputed_total_eur,
        coalesce(line_totals.net_on_hold_total_eur, 0) as net_line_on_hold_total_eur,
        coalesce(line_totals.net_tolerated_excess_total_eur, 0) as net_tolerated_excess_total_eur,
        coalesce(line_totals.approved_line_count, 0) as approved_line_count,
        coalesce(line_totals.disputed_line_count, 0) as disputed_line_count,
        coalesce(line_totals.on_hold_line_count, 0) as on_hold_line_count,
        coalesce(line_totals.settled_line_count, 0) as settled_line_count,
        coalesce(line_totals.lines_with_approval, 0) as lines_with_approval,
        invoice_totals_checked.is_total_mismatch,
        invoice_totals_checked.is_vat_total_mismatch
    from invoices
    left join line_totals
        on invoices.document_key = line_totals.document_key
    left join document_allowance_charges
        on invoices.document_key = document_allowance_charges.document_key
    left join document_adjustments
        on invoices.document_key = document_adjustments.document_key
    left join invoice_totals_checked
        on invoices.document_key = invoice_totals_checked.document_key
    left join supplier_per_kvk_number
        on invoices.supplier_kvk_number = supplier_per_kvk_number.kvk_number

),

invoice_codes as (

    {# Sorted alphabetically, like the line codes (interpretation #18). #}
    select
        *,
        concat_ws(
            ',',
            case when charges_not_agreed > 0 then 'CHARGE_NOT_AGREED' end,
            case when is_total_mismatch then 'TOTAL_MISMATCH' end,
            case when is_vat_total_mismatch then 'VAT_TOTAL_MISMATCH' end
        ) as reason_codes
    from invoice_totals

),

final as (

    select
        invoice_id,
        supplier_id,
        issue_date,
        cast(header_total_eur as decimal(18, 2)) as header_total_eur,
        line_count,
        cast(invoiced_total_eur as decimal(18, 2)) as invoiced_total_eur,
        {# Lines approved plus the document-level adjustments applied to them (#31). #}
        cast(line_approved_total_eur + adjustment_approved_eur as decimal(18, 2)) as approved_total_eur,
        cast(line_disputed_total_eur + charge_not_agreed_eur as decimal(18, 2)) as disputed_total_eur,
        cast(line_on_hold_total_eur + adjustment_on_hold_eur as decimal(18, 2)) as on_hold_total_eur,
        cast(tolerated_excess_total_eur as decimal(18, 2)) as tolerated_excess_total_eur,
        approved_line_count,
        disputed_line_count,
        on_hold_line_count,
        reason_codes,
        case
            when reason_codes <> '' then 'disputed'
            when disputed_line_count > 0 and lines_with_approval = 0 and on_hold_line_count = 0
                then 'disputed'
            when disputed_line_count > 0 then 'partially_disputed'
            when on_hold_line_count > 0 then 'on_hold'
            else 'approved'
        end as status,
        document_key,
        document_type,
        corrected_invoice_id,
        cast(allowance_total_eur as decimal(18, 2)) as allowance_total_eur,
        cast(charge_total_eur as decimal(18, 2)) as charge_total_eur,
        cast(netted_total_eur as decimal(18, 2)) as netted_total_eur,
        cast(credited_total_eur as decimal(18, 2)) as credited_total_eur,
        cast(net_invoiced_total_eur as decimal(18, 2)) as net_invoiced_total_eur,
        cast(net_line_approved_total_eur + adjustment_approved_eur as decimal(18, 2))
            as net_approved_total_eur,
        cast(net_line_disputed_total_eur + charge_not_agreed_eur as decimal(18, 2))
            as net_disputed_total_eur,
        cast(net_line_on_hold_total_eur + adjustment_on_hold_eur as decimal(18, 2))
            as net_on_hold_total_eur,
        cast(net_tolerated_excess_total_eur as decimal(18, 2)) as net_tolerated_excess_total_eur,
        settled_line_count
    from invoice_codes

)

select * from final
