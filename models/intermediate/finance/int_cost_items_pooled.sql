{# The settlement pool (interpretations #19-#21): one row per amount to allocate. External
   courses contribute the approved amount of their invoice lines; internal courses (never
   invoiced) the expected amount of every billable enrolment (per participant) or billable
   session (per session). Per-participant items already know their debtor; per-session
   items are split over payer departments by int_session_amounts_split.

   Year-incremental (leerdata.builder.periods): an item has the year of its invoice line,
   enrolment or session; a line's document share has the line's year. #}

{{ year_incremental_config(with_sentinel=true) }}

with

invoice_lines_netted as (

    select * from {{ ref('int_invoice_lines_netted') }}
    where {{ in_changed_years('year', with_sentinel=true) }}

),

document_adjustments_split as (

    select * from {{ ref('int_document_adjustments_split') }}
    where {{ in_changed_years('year', with_sentinel=true) }}

),

enrolments_billed as (

    select * from {{ ref('int_enrolments_billed') }}
    where {{ in_changed_years('year', with_sentinel=true) }}

),

sessions_billed as (

    select * from {{ ref('int_sessions_billed') }}
    where {{ in_changed_years('year', with_sentinel=true) }}

),

external_line_items as (

    {# The net approved amount of the order line (credit notes and corrections applied,
       interpretation #29) plus its share of the document's allowances and agreed
       charges (#31). #}
    select
        'invoice_line|' || invoice_lines_netted.invoice_id || '|' || invoice_lines_netted.line_id
            as pool_item_id,
        invoice_lines_netted.year,
        invoice_lines_netted.quarter,
        invoice_lines_netted.session_id,
        invoice_lines_netted.matched_course_id as course_id,
        invoice_lines_netted.owner_department_code as creditor_department_code,
        case
            when invoice_lines_netted.pricing_model = 'per_session' then 'session' else 'enrolment'
        end as allocation_basis,
        case
            when invoice_lines_netted.pricing_model = 'per_session' then 'session_share'
            else invoice_lines_netted.billable_kind
        end as cost_type,
        case
            when invoice_lines_netted.pricing_model = 'per_participant'
                then invoice_lines_netted.enrolment_key
        end as enrolment_key,
        case
            when invoice_lines_netted.pricing_model = 'per_participant'
                then invoice_lines_netted.payer_department_code
        end as debtor_department_code,
        cast(
            invoice_lines_netted.net_approved_amount_eur
            + coalesce(document_adjustments_split.share_eur, 0)
            as decimal(18, 2)
        ) as amount_eur
    from invoice_lines_netted
    left join document_adjustments_split
        on
            invoice_lines_netted.document_key = document_adjustments_split.document_key
            and invoice_lines_netted.line_id = document_adjustments_split.line_id
    {# Only invoice lines that pay something (or are approved at zero, e.g. a 0 % late
       fee); a line on an internal course is not part of the external pool; credit and
       correction lines count through the line they are netted against. #}
    where
        invoice_lines_netted.document_type = 'invoice'
        and not invoice_lines_netted.is_unknown_reference
        and not invoice_lines_netted.is_internal_course
        and (
            invoice_lines_netted.net_approved_amount_eur <> 0
            or invoice_lines_netted.net_verdict = 'approved'
        )

),

internal_enrolment_items as (

    select
        'internal_enrolment|' || enrolment_id as pool_item_id,
        year,
        quarter,
        session_id,
        course_id,
        owner_department_code as creditor_department_code,
        'enrolment' as allocation_basis,
        'internal' as cost_type,
        enrolment_key,
        payer_department_code as debtor_department_code,
        expected_amount_eur as amount_eur
    from enrolments_billed
    where is_internal_course and pricing_model = 'per_participant' and is_billable

),

internal_session_items as (

    select
        'internal_session|' || session_id as pool_item_id,
        year,
        quarter,
        session_id,
        course_id,
        owner_department_code as creditor_department_code,
        'session' as allocation_basis,
        'internal' as cost_type,
        cast(null as varchar) as enrolment_key,
        cast(null as varchar) as debtor_department_code,
        expected_session_amount_eur as amount_eur
    from sessions_billed
    where is_internal_course and pricing_model = 'per_session' and has_billable_enrolment

),

final as (

    select * from external_line_items
    union all
    select * from internal_enrolment_items
    union all
    select * from internal_session_items

)

select * from final
order by year  {# a year's rows stored together: see year_incremental_config #}
