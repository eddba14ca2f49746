{# The check per invoice: line amounts summed by verdict, the invoice-level code
   TOTAL_MISMATCH (header LineExtensionAmount <> sum of the line amounts) and the
   status (docs/contract.md section 2, invoice status). #}

with

invoices as (

    select * from {{ ref('stg_invoices__invoices') }}

),

suppliers as (

    select * from {{ ref('stg_catalogue__suppliers') }}

),

invoice_lines_checked as (

    select * from {{ ref('int_invoice_lines_checked') }}

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
        invoice_id,
        count(*) as line_count,
        sum(invoiced_amount_eur) as invoiced_total_eur,
        sum(approved_amount_eur) as approved_total_eur,
        sum(disputed_amount_eur) as disputed_total_eur,
        sum(on_hold_amount_eur) as on_hold_total_eur,
        sum(tolerated_excess_eur) as tolerated_excess_total_eur,
        count(*) filter (where verdict = 'approved') as approved_line_count,
        count(*) filter (where verdict = 'disputed') as disputed_line_count,
        count(*) filter (where verdict = 'on_hold') as on_hold_line_count,
        {# "something approved": an approved line, or the approved part of a line
           disputed only for its price. #}
        count(*) filter (where verdict = 'approved' or approved_amount_eur > 0) as lines_with_approval
    from invoice_lines_checked
    group by invoice_id

),

invoice_totals as (

    select
        invoices.invoice_id,
        supplier_per_kvk_number.supplier_id,
        invoices.issue_date,
        invoices.line_extension_total_eur as header_total_eur,
        coalesce(line_totals.line_count, 0) as line_count,
        coalesce(line_totals.invoiced_total_eur, 0) as invoiced_total_eur,
        coalesce(line_totals.approved_total_eur, 0) as approved_total_eur,
        coalesce(line_totals.disputed_total_eur, 0) as disputed_total_eur,
        coalesce(line_totals.on_hold_total_eur, 0) as on_hold_total_eur,
        coalesce(line_totals.tolerated_excess_total_eur, 0) as tolerated_excess_total_eur,
        coalesce(line_totals.approved_line_count, 0) as approved_line_count,
        coalesce(line_totals.disputed_line_count, 0) as disputed_line_count,
        coalesce(line_totals.on_hold_line_count, 0) as on_hold_line_count,
        coalesce(line_totals.lines_with_approval, 0) as lines_with_approval
    from invoices
    left join line_totals
        on invoices.invoice_id = line_totals.invoice_id
    left join supplier_per_kvk_number
        on invoices.supplier_kvk_number = supplier_per_kvk_number.kvk_number

),

invoice_codes as (

    select
        *,
        {# A missing header total cannot be confirmed: a mismatch. #}
        case
            when coalesce(header_total_eur <> invoiced_total_eur, true) then 'TOTAL_MISMATCH'
            else ''
        end as reason_codes
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
        cast(approved_total_eur as decimal(18, 2)) as approved_total_eur,
        cast(disputed_total_eur as decimal(18, 2)) as disputed_total_eur,
        cast(on_hold_total_eur as decimal(18, 2)) as on_hold_total_eur,
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
        end as status
    from invoice_codes

)

select * from final
