{# What a finance clerk sends back to a supplier: every disputed invoice line, and every
   invoice with an invoice-level code, in the supplier's own references (invoice id,
   line id, order line reference, course id and title), with the amounts and each
   reason in plain Dutch, and the document chain (interpretations #26-#29): the document
   type, the invoice a credit note corrects, the credit notes netted against a line and
   what is still disputed on the net amount (net_verdict settled = resolved by the
   supplier's credit). No person data: no pseudonym, never the item name. #}

with

invoice_line_checks as (

    select * from {{ ref('fct_invoice_line_checks') }}

),

invoice_checks as (

    select * from {{ ref('fct_invoice_checks') }}

),

suppliers as (

    select * from {{ ref('stg_catalogue__suppliers') }}

),

courses as (

    select * from {{ ref('stg_catalogue__courses') }}

),

reason_code_labels as (

    select * from {{ ref('invoice_reason_codes') }}

),

latest_course_titles as (

    {# The supplier names the course by its id; its current catalogue title helps the
       clerk recognise it. #}
    select
        course_id,
        course_title
    from courses
    qualify row_number() over (partition by course_id order by valid_from desc) = 1

),

disputed_lines as (

    select
        invoice_id,
        document_type,
        corrected_invoice_id,
        supplier_id,
        issue_date,
        'line' as dispute_level,
        line_id,
        order_line_ref,
        course_id,
        invoiced_amount_eur,
        expected_amount_eur,
        approved_amount_eur,
        disputed_amount_eur,
        reason_codes,
        adjusted_by_invoice_ids,
        credited_amount_eur,
        net_disputed_amount_eur,
        net_verdict
    from invoice_line_checks
    where verdict = 'disputed'

),

disputed_invoices as (

    {# The header total is what the supplier asked; the line amounts are what it
       should add up to. #}
    select
        invoice_id,
        document_type,
        corrected_invoice_id,
        supplier_id,
        issue_date,
        'invoice' as dispute_level,
        cast(null as varchar) as line_id,
        cast(null as varchar) as order_line_ref,
        cast(null as varchar) as course_id,
        header_total_eur as invoiced_amount_eur,
        invoiced_total_eur as expected_amount_eur,
        approved_total_eur as approved_amount_eur,
        disputed_total_eur as disputed_amount_eur,
        reason_codes,
        cast(null as varchar) as adjusted_by_invoice_ids,
        credited_total_eur as credited_amount_eur,
        net_disputed_total_eur as net_disputed_amount_eur,
        cast(null as varchar) as net_verdict
    from invoice_checks
    where reason_codes <> ''

),

disputes as (

    select * from disputed_lines
    union all
    select * from disputed_invoices

),

reasons_explained as (

    select
        disputes.invoice_id,
        disputes.document_type,
        disputes.dispute_level,
        disputes.line_id,
        string_agg(
            reason_code_labels.label_nl || ': ' || reason_code_labels.explanation_nl,
            ' | '
            order by reason_code_labels.reason_code
        ) as reasons_nl
    from disputes
    cross join unnest(string_split(disputes.reason_codes, ',')) as codes (reason_code)
    left join reason_code_labels
        on codes.reason_code = reason_code_labels.reason_code
    group by disputes.invoice_id, disputes.document_type, disputes.dispute_level, disputes.line_id

),

final as (

    select
        {# An invoice keeps its key; another document type is prefixed, so a credit note
           numbered like an invoice stays apart (interpretation #26). #}
        case when disputes.document_type = 'invoice' then '' else disputes.document_type || ':' end
        || disputes.invoice_id || '|' || coalesce(disputes.line_id, '') as dispute_key,
        disputes.supplier_id,
        suppliers.supplier_name,
        disputes.invoice_id,
        disputes.issue_date,
        disputes.dispute_level,
        disputes.line_id,
        disputes.order_line_ref,
        disputes.course_id,
        latest_course_titles.course_title,
        cast(disputes.invoiced_amount_eur as decimal(18, 2)) as invoiced_amount_eur,
        cast(disputes.expected_amount_eur as decimal(18, 2)) as expected_amount_eur,
        cast(disputes.approved_amount_eur as decimal(18, 2)) as approved_amount_eur,
        cast(disputes.disputed_amount_eur as decimal(18, 2)) as disputed_amount_eur,
        disputes.reason_codes,
        reasons_explained.reasons_nl,
        disputes.document_type,
        disputes.corrected_invoice_id,
        disputes.adjusted_by_invoice_ids,
        cast(disputes.credited_amount_eur as decimal(18, 2)) as credited_amount_eur,
        cast(disputes.net_disputed_amount_eur as decimal(18, 2)) as net_disputed_amount_eur,
        disputes.net_verdict
    from disputes
    left join reasons_explained
        on
            disputes.invoice_id = reasons_explained.invoice_id
            and disputes.document_type = reasons_explained.document_type
            and disputes.dispute_level = reasons_explained.dispute_level
            and coalesce(disputes.line_id, '') = coalesce(reasons_explained.line_id, '')
    left join suppliers
        on disputes.supplier_id = suppliers.supplier_id
    left join latest_course_titles
        on disputes.course_id = latest_course_titles.course_id

)

select * from final
