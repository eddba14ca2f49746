{# The three-way match per invoice line (docs/contract.md section 2, interpretations #7-#18):
   every reason code that applies, the verdict and the approved / disputed / on-hold
   split of the invoiced amount. Set-based: duplicates come from one window over all
   lines, not a lookup per line.

   Year-incremental (leerdata.builder.periods), on the year of int_invoice_lines_resolved.
   The lines a line is compared with share its year: duplicates are ranked per order line
   reference, and an adjustment's target has the same reference (one reference resolves
   to one session, or to none: the sentinel partition). #}

{{ year_incremental_config(with_sentinel=true) }}

with

invoice_lines_resolved as (

    select * from {{ ref('int_invoice_lines_resolved') }}
    where {{ in_changed_years('year', with_sentinel=true) }}

),

adjustment_targets as (

    {# interpretation #28: a credit-note or corrective line is usable when its document
       names an invoice of the same supplier with a line for the same order line; it
       applies to the first such line. #}
    select
        adjustments.document_key,
        adjustments.line_id,
        min(originals.document_key) as target_document_key,
        min(originals.line_id) as target_line_id
    from invoice_lines_resolved as adjustments
    inner join invoice_lines_resolved as originals
        on
            originals.document_key = 'invoice|' || adjustments.corrected_invoice_id
            and adjustments.order_line_ref = originals.order_line_ref
            and adjustments.invoice_supplier_id = originals.invoice_supplier_id
    where adjustments.document_type <> 'invoice'
    group by adjustments.document_key, adjustments.line_id

),

duplicates_ranked as (

    {# interpretation #13: earlier = lower (issue date, invoice id, line id), compared
       as strings; the first line of a reference is checked normally. Credit notes and
       corrections reference an invoiced order line by design: not duplicates (#28). #}
    select
        invoice_lines_resolved.*,
        adjustment_targets.target_document_key,
        adjustment_targets.target_line_id,
        invoice_lines_resolved.document_type <> 'invoice' as is_adjustment,
        case
            when invoice_lines_resolved.order_line_ref is null then 1
            when invoice_lines_resolved.document_type <> 'invoice' then 1
            else row_number() over (
                partition by
                    invoice_lines_resolved.order_line_ref,
                    invoice_lines_resolved.document_type = 'invoice'
                order by
                    invoice_lines_resolved.issue_date,
                    invoice_lines_resolved.invoice_id,
                    invoice_lines_resolved.line_id
            )
        end as reference_occurrence
    from invoice_lines_resolved
    left join adjustment_targets
        on
            invoice_lines_resolved.document_key = adjustment_targets.document_key
            and invoice_lines_resolved.line_id = adjustment_targets.line_id

),

line_facts as (

    select
        *,
        not is_unknown_reference as is_resolved,
        {# interpretation #16: a billable line is a billable enrolment, or a per-session
           line on a session with a billable enrolment. #}
        case
            when is_unknown_reference then false
            when pricing_model = 'per_participant' then coalesce(is_billable_enrolment, false)
            else coalesce(has_billable_enrolment, false)
        end as is_billable_line,
        {# interpretation #30: agreed line charges are owed on top of the catalogue
           amount; an adjustment line owes nothing of its own. #}
        case
            when is_adjustment or is_unknown_reference then cast(0 as decimal(18, 2))
            when pricing_model = 'per_participant'
                then
                    coalesce(expected_enrolment_amount_eur, 0)
                    + case when coalesce(is_billable_enrolment, false) then line_agreed_charge_eur else 0 end
            else
                coalesce(expected_session_amount_eur, 0)
                + case when coalesce(has_billable_enrolment, false) then line_agreed_charge_eur else 0 end
        end as line_expected_amount_eur,
        {# interpretations #14 and #30 (Peppol R120): amount = round_half_up(quantity x
           price / base quantity, 2) + line charges - line allowances; a missing price
           cannot make the amount right. Judged on the amount as sent. #}
        coalesce(
            sent_amount_eur
            <> cast(
                round(invoiced_quantity * price_amount_eur / coalesce(nullif(base_quantity, 0), 1), 2)
                as decimal(18, 2)
            )
            + line_charge_eur
            - line_allowance_eur,
            true
        ) as has_arithmetic_error
    from duplicates_ranked

),

reason_flags as (

    select
        *,
        is_adjustment and target_line_id is null as is_credit_without_reference,
        line_charges_not_agreed > 0 as is_charge_not_agreed,
        has_arithmetic_error as is_arithmetic_error,
        is_resolved
        and pricing_model = 'per_participant'
        and enrolment_status = 'cancelled'
        and coalesce(is_cancelled_in_time, false) as is_cancelled_in_time_line,
        reference_occurrence > 1 as is_duplicate_line,
        {# interpretation #10: per participant by enrolment status; per session when the
           session has no billable enrolment (a supplier-cancelled session is
           SESSION_CANCELLED instead). #}
        is_resolved
        and (
            (
                pricing_model = 'per_participant'
                and enrolment_status in ('requested', 'approved', 'rejected', 'waitlisted')
            )
            or (
                pricing_model = 'per_session'
                and not is_cancelled_by_supplier
                and not has_billable_enrolment
            )
        ) as is_not_enrolled,
        {# interpretation #11: an enrolment still `enrolled` has no outcome yet.
           interpretation #34: a session the supplier cancelled will never be
           delivered, so SESSION_CANCELLED applies instead. #}
        is_resolved
        and not is_cancelled_by_supplier
        and (
            issue_date < session_start_date
            or (pricing_model = 'per_participant' and enrolment_status = 'enrolled')
        ) as is_not_yet_delivered,
        {# A charge not agreed is its own code, not a price excess (interpretation #30). #}
        is_resolved
        and is_billable_line
        and invoiced_amount_eur - line_charge_eur + line_agreed_charge_eur
        > line_expected_amount_eur + 0.01 as is_price_mismatch,
        invoiced_quantity <> 1 as is_quantity_mismatch,
        is_resolved and is_cancelled_by_supplier as is_session_cancelled,
        {# An unknown seller (no supplier for its KvK number) is a mismatch too. #}
        is_resolved and coalesce(invoice_supplier_id <> course_supplier_id, true) as is_supplier_mismatch,
        {# interpretation #15: a missing percent is a mismatch. #}
        {# interpretations #15 and #32: the percent must be the catalogue rate and fit
           the category. #}
        is_resolved
        and (
            coalesce(vat_percent <> vat_rate, true)
            or (vat_category_id = 'S' and vat_percent = 0)
            or (vat_category_id in ('Z', 'E', 'AE', 'K', 'G', 'O') and vat_percent <> 0)
        ) as is_vat_mismatch
    from line_facts

),

reason_codes_listed as (

    {# concat_ws skips NULLs; the arguments are in alphabetical order of the codes, so
       the result is already sorted (interpretation #18) and '' when nothing applies. #}
    select
        *,
        case
            {# interpretation #28: an adjustment line is judged on its reference only. #}
            when is_adjustment
                then case when is_credit_without_reference then 'CREDIT_WITHOUT_REFERENCE' else '' end
            else concat_ws(
                ',',
                case when is_arithmetic_error then 'ARITHMETIC_ERROR' end,
                case when is_cancelled_in_time_line then 'CANCELLED_IN_TIME' end,
                case when is_charge_not_agreed then 'CHARGE_NOT_AGREED' end,
                case when is_duplicate_line then 'DUPLICATE_LINE' end,
                case when is_not_enrolled then 'NOT_ENROLLED' end,
                case when is_not_yet_delivered then 'NOT_YET_DELIVERED' end,
                case when is_price_mismatch then 'PRICE_MISMATCH' end,
                case when is_quantity_mismatch then 'QUANTITY_MISMATCH' end,
                case when is_session_cancelled then 'SESSION_CANCELLED' end,
                case when is_supplier_mismatch then 'SUPPLIER_MISMATCH' end,
                case when is_unknown_reference then 'UNKNOWN_REFERENCE' end,
                case when is_vat_mismatch then 'VAT_MISMATCH' end
            )
        end as reason_codes
    from reason_flags

),

verdicts as (

    select
        *,
        case
            when is_adjustment and reason_codes = '' then 'netted'
            when reason_codes = '' then 'approved'
            when reason_codes = 'NOT_YET_DELIVERED' then 'on_hold'
            else 'disputed'
        end as verdict,
        {# An approved line, or one whose only fault is its price or a charge not
           agreed, is paid up to the expected amount; an undercharge is paid as
           invoiced. #}
        case
            when is_adjustment then cast(0 as decimal(18, 2))
            when reason_codes in {{ amount_only_reason_code_sets() }}
                then least(invoiced_amount_eur, line_expected_amount_eur)
            else cast(0 as decimal(18, 2))
        end as approved_amount_eur
    from reason_codes_listed

),

final as (

    select
        document_key,
        invoice_id,
        document_type,
        corrected_invoice_id,
        line_id,
        target_document_key,
        target_line_id,
        issue_date,
        invoice_supplier_id as supplier_id,
        order_line_ref,
        invoiced_course_id as course_id,
        reference_kind,
        is_unknown_reference,
        session_id,
        matched_course_id,
        matched_course_title,
        course_supplier_id,
        is_internal_course,
        owner_department_code,
        pricing_model,
        session_start_date,
        year,
        quarter,
        enrolment_key,
        enrolment_status,
        billable_kind,
        payer_department_code,
        is_billable_line,
        reference_occurrence,
        invoiced_quantity,
        price_amount_eur,
        base_quantity,
        vat_category_id,
        vat_percent,
        cast(line_allowance_eur as decimal(18, 2)) as line_allowance_eur,
        cast(line_charge_eur as decimal(18, 2)) as line_charge_eur,
        cast(invoiced_amount_eur as decimal(18, 2)) as invoiced_amount_eur,
        cast(line_expected_amount_eur as decimal(18, 2)) as expected_amount_eur,
        cast(approved_amount_eur as decimal(18, 2)) as approved_amount_eur,
        cast(
            case when verdict = 'disputed' then invoiced_amount_eur - approved_amount_eur else 0 end
            as decimal(18, 2)
        ) as disputed_amount_eur,
        cast(case when verdict = 'on_hold' then invoiced_amount_eur else 0 end as decimal(18, 2))
            as on_hold_amount_eur,
        {# An approved line invoiced at most one cent above its expected amount is paid the
           expected amount (least of the two): that cent is neither approved, disputed nor
           on hold. Kept visible so invoiced = approved + disputed + on hold + this. #}
        cast(
            case when verdict = 'approved' then invoiced_amount_eur - approved_amount_eur else 0 end
            as decimal(18, 2)
        ) as tolerated_excess_eur,
        {# A usable credit or correction is applied to its order line (#28). #}
        cast(case when verdict = 'netted' then invoiced_amount_eur else 0 end as decimal(18, 2))
            as netted_amount_eur,
        verdict,
        reason_codes,
        {# The individual findings, for the net assessment of int_invoice_lines_netted. #}
        is_adjustment,
        is_credit_without_reference,
        is_arithmetic_error,
        is_cancelled_in_time_line,
        is_charge_not_agreed,
        is_duplicate_line,
        is_not_enrolled,
        is_not_yet_delivered,
        is_price_mismatch,
        is_quantity_mismatch,
        is_session_cancelled,
        is_supplier_mismatch,
        is_vat_mismatch
    from verdicts

)

select * from final
order by year  {# a year's rows stored together: see year_incremental_config #}
