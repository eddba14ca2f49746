{# One row per invoice line with everything the three-way match needs: the invoice
   header, the supplier behind the seller's KvK number, and what the order line
   reference points at (interpretation #7: first an enrolment_id, else a session_id),
   with that session's applicable price row. The item name never enters.

   Year-incremental (leerdata.builder.periods): `year` is the year of the start date of
   the session the reference resolves to, so every line of one order line reference is
   in the same year; a line that resolves to no session goes into the sentinel partition
   (year 0), which every incremental build recomputes (a new enrolment or session can
   make its reference resolve). Every line is resolved against every enrolment and
   session; only the lines of the recomputed years are kept. #}

{{ year_incremental_config(with_sentinel=true) }}

with

invoice_lines as (

    select * from {{ ref('stg_invoices__invoice_lines') }}

),

invoices as (

    select * from {{ ref('stg_invoices__invoices') }}

),

suppliers as (

    select * from {{ ref('stg_catalogue__suppliers') }}

),

enrolments_billed as (

    select * from {{ ref('int_enrolments_billed') }}

),

sessions_billed as (

    select * from {{ ref('int_sessions_billed') }}

),

allowance_charges_assessed as (

    select * from {{ ref('int_allowance_charges_assessed') }}

),

line_allowance_charges as (

    {# Line-level allowances and charges as sent (they are inside the line amount,
       Peppol R120), and the part of the charges the buyer has agreed to. #}
    select
        document_key,
        line_id,
        sum(case when is_charge then 0 else amount_eur end) as line_allowance_eur,
        sum(case when is_charge then amount_eur else 0 end) as line_charge_eur,
        sum(case when is_charge and is_accepted then amount_eur else 0 end) as line_agreed_charge_eur,
        count(*) filter (where not is_accepted) as line_charges_not_agreed
    from allowance_charges_assessed
    where level = 'line'
    group by document_key, line_id

),

supplier_per_kvk_number as (

    {# interpretation #9: the invoice's supplier is the one whose kvk_number equals the
       seller's CompanyID; a shared number (a catalogue error) resolves to the lowest id. #}
    select
        kvk_number,
        supplier_id
    from suppliers
    where kvk_number is not null
    qualify row_number() over (partition by kvk_number order by supplier_id) = 1

),

lines_with_header as (

    select
        invoice_lines.document_key,
        invoice_lines.invoice_id,
        invoice_lines.document_type,
        invoices.corrected_invoice_id,
        invoice_lines.line_id,
        invoices.issue_date,
        supplier_per_kvk_number.supplier_id as invoice_supplier_id,
        invoice_lines.order_line_ref,
        invoice_lines.course_id as invoiced_course_id,
        invoice_lines.invoiced_quantity,
        invoice_lines.line_extension_amount_eur as sent_amount_eur,
        {# What the line counts for: negative on a credit note (interpretation #26). #}
        invoice_lines.signed_amount_eur as invoiced_amount_eur,
        invoice_lines.price_amount_eur,
        invoice_lines.base_quantity,
        invoice_lines.vat_category_id,
        invoice_lines.vat_percent,
        coalesce(line_allowance_charges.line_allowance_eur, 0) as line_allowance_eur,
        coalesce(line_allowance_charges.line_charge_eur, 0) as line_charge_eur,
        coalesce(line_allowance_charges.line_agreed_charge_eur, 0) as line_agreed_charge_eur,
        coalesce(line_allowance_charges.line_charges_not_agreed, 0) as line_charges_not_agreed
    from invoice_lines
    inner join invoices
        on invoice_lines.document_key = invoices.document_key
    left join supplier_per_kvk_number
        on invoices.supplier_kvk_number = supplier_per_kvk_number.kvk_number
    left join line_allowance_charges
        on
            invoice_lines.document_key = line_allowance_charges.document_key
            and invoice_lines.line_id = line_allowance_charges.line_id

),

references_resolved as (

    select
        lines_with_header.*,
        case
            when enrolments_billed.enrolment_id is not null then 'enrolment'
            when sessions_billed.session_id is not null then 'session'
        end as reference_kind,
        sessions_billed.session_id,
        sessions_billed.course_id as matched_course_id,
        sessions_billed.course_title as matched_course_title,
        sessions_billed.supplier_id as course_supplier_id,
        sessions_billed.is_internal_course,
        sessions_billed.owner_department_code,
        sessions_billed.pricing_model,
        sessions_billed.has_price_row,
        sessions_billed.start_date as session_start_date,
        cast(
            coalesce(year(sessions_billed.start_date), {{ no_session_year() }}) as integer
        ) as year,  -- noqa: RF04
        sessions_billed.quarter,
        sessions_billed.session_status,
        sessions_billed.is_cancelled_by_supplier,
        sessions_billed.vat_rate,
        sessions_billed.billable_enrolment_count,
        sessions_billed.has_billable_enrolment,
        sessions_billed.expected_session_amount_eur,
        enrolments_billed.enrolment_key,
        enrolments_billed.enrolment_status,
        enrolments_billed.is_cancelled_in_time,
        enrolments_billed.is_billable as is_billable_enrolment,
        enrolments_billed.billable_kind,
        enrolments_billed.expected_amount_eur as expected_enrolment_amount_eur,
        enrolments_billed.payer_department_code
    from lines_with_header
    left join enrolments_billed
        on lines_with_header.order_line_ref = enrolments_billed.enrolment_id
    {# The session of the enrolment when the reference is an enrolment, else the
       reference itself read as a session id: one join covers both readings. #}
    left join sessions_billed
        on
            coalesce(enrolments_billed.session_id, lines_with_header.order_line_ref)
            = sessions_billed.session_id
    where
        {{ in_changed_years(
            'coalesce(year(sessions_billed.start_date), ' ~ no_session_year() ~ ')',
            with_sentinel=true,
        ) }}

),

final as (

    select
        *,
        {# interpretation #7: unknown when nothing matches, when the matched session has
           no price row to read the pricing model from, or when the kind of reference
           does not fit the pricing model (enrolment for per-participant, session for
           per-session). #}
        case
            when order_line_ref is null or session_id is null or not has_price_row then true
            when reference_kind = 'enrolment' then pricing_model <> 'per_participant'
            when reference_kind = 'session' then pricing_model <> 'per_session'
            else true
        end as is_unknown_reference
    from references_resolved

)

select * from final
order by year  {# a year's rows stored together: see year_incremental_config #}
