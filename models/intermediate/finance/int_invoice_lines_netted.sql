{# The net assessment of every order line in a document chain (interpretation #29): an
   invoice line with the credit-note and corrective lines applied to it is judged again
   on its net amount. The amount codes are recomputed on the net; the other codes stay.
   A line that was disputed and is no longer disputed on its net is `settled`. Adjustment
   lines carry their own values when unusable and 0 when netted, so per chain the net
   columns add up to the chain's signed line amounts.

   Year-incremental (leerdata.builder.periods): a netted line has the order line
   reference, so the year, of the line it is applied to. #}

{{ year_incremental_config(with_sentinel=true) }}

with

invoice_lines_checked as (

    select * from {{ ref('int_invoice_lines_checked') }}
    where {{ in_changed_years('year', with_sentinel=true) }}

),

netted_per_target as (

    select
        target_document_key,
        target_line_id,
        sum(invoiced_amount_eur) as netted_total_eur,
        string_agg(distinct invoice_id, ',' order by invoice_id) as adjusted_by_invoice_ids
    from invoice_lines_checked
    where verdict = 'netted'
    group by target_document_key, target_line_id

),

lines_with_netting as (

    select
        invoice_lines_checked.*,
        netted_per_target.target_line_id is not null as has_netting,
        netted_per_target.adjusted_by_invoice_ids,
        cast(coalesce(netted_per_target.netted_total_eur, 0) as decimal(18, 2)) as credited_amount_eur,
        {# A netted line counts through the line it is applied to. #}
        cast(
            case
                when invoice_lines_checked.verdict = 'netted' then 0
                else
                    invoice_lines_checked.invoiced_amount_eur
                    + coalesce(netted_per_target.netted_total_eur, 0)
            end
            as decimal(18, 2)
        ) as net_amount_eur
    from invoice_lines_checked
    left join netted_per_target
        on
            invoice_lines_checked.document_key = netted_per_target.target_document_key
            and invoice_lines_checked.line_id = netted_per_target.target_line_id

),

net_codes_listed as (

    select
        *,
        case
            when not has_netting then reason_codes
            {# Fully credited: nothing owed, nothing left to dispute. #}
            when net_amount_eur = 0 then ''
            else concat_ws(
                ',',
                case
                    when is_arithmetic_error and net_amount_eur > expected_amount_eur + 0.01
                        then 'ARITHMETIC_ERROR'
                end,
                case when is_cancelled_in_time_line then 'CANCELLED_IN_TIME' end,
                case
                    when is_charge_not_agreed and net_amount_eur > expected_amount_eur + 0.01
                        then 'CHARGE_NOT_AGREED'
                end,
                case when is_duplicate_line then 'DUPLICATE_LINE' end,
                case when is_not_enrolled then 'NOT_ENROLLED' end,
                case when is_not_yet_delivered then 'NOT_YET_DELIVERED' end,
                case
                    when is_billable_line and net_amount_eur > expected_amount_eur + 0.01
                        then 'PRICE_MISMATCH'
                end,
                case
                    when is_quantity_mismatch and net_amount_eur > expected_amount_eur + 0.01
                        then 'QUANTITY_MISMATCH'
                end,
                case when is_session_cancelled then 'SESSION_CANCELLED' end,
                case when is_supplier_mismatch then 'SUPPLIER_MISMATCH' end,
                case when is_unknown_reference then 'UNKNOWN_REFERENCE' end,
                case when is_vat_mismatch then 'VAT_MISMATCH' end
            )
        end as net_reason_codes
    from lines_with_netting

),

net_verdicts as (

    select
        *,
        case
            when not has_netting then verdict
            when net_reason_codes = '' and verdict = 'disputed' then 'settled'
            when net_reason_codes = '' then 'approved'
            when net_reason_codes = 'NOT_YET_DELIVERED' then 'on_hold'
            else 'disputed'
        end as net_verdict
    from net_codes_listed

),

net_amounts as (

    select
        *,
        case
            when not has_netting then approved_amount_eur
            when net_reason_codes in {{ amount_only_reason_code_sets() }}
                then least(net_amount_eur, expected_amount_eur)
            else cast(0 as decimal(18, 2))
        end as net_approved_amount_eur
    from net_verdicts

),

final as (

    select
        * exclude (net_approved_amount_eur),
        cast(
            case when verdict = 'netted' then 0 else net_approved_amount_eur end as decimal(18, 2)
        ) as net_approved_amount_eur,
        cast(
            case
                when verdict = 'netted' then 0
                when net_verdict = 'disputed' then net_amount_eur - net_approved_amount_eur
                else 0
            end as decimal(18, 2)
        ) as net_disputed_amount_eur,
        cast(case when net_verdict = 'on_hold' then net_amount_eur else 0 end as decimal(18, 2))
            as net_on_hold_amount_eur,
        cast(
            case
                when net_verdict in ('approved', 'settled') then net_amount_eur - net_approved_amount_eur
                else 0
            end as decimal(18, 2)
        ) as net_tolerated_excess_eur
    from net_amounts

)

{# Every column of int_invoice_lines_checked passes through, plus the net ones. #}
select * from final  -- noqa: AM04
order by year  {# a year's rows stored together: see year_incremental_config #}
