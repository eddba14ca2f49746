{# Invariant: the allocated total equals the pool, per quarter, to the cent. The pool is
   recomputed here from its definition (interpretations #19, #29, #31: the net approved
   amounts of external invoice lines and the document-level shares they carry), not
   read from the pool model, so an item lost or doubled between pool and allocation
   fails the build. #}

with

invoice_lines_netted as (

    select * from {{ ref('int_invoice_lines_netted') }}

),

document_adjustments_split as (

    select * from {{ ref('int_document_adjustments_split') }}

),

enrolments_billed as (

    select * from {{ ref('int_enrolments_billed') }}

),

sessions_billed as (

    select * from {{ ref('int_sessions_billed') }}

),

cost_allocation as (

    select * from {{ ref('fct_cost_allocation') }}

),

pool_parts as (

    select
        quarter,
        net_approved_amount_eur as amount_eur
    from invoice_lines_netted
    where document_type = 'invoice' and not is_unknown_reference and not is_internal_course
    union all
    select
        invoice_lines_netted.quarter,
        document_adjustments_split.share_eur as amount_eur
    from document_adjustments_split
    inner join invoice_lines_netted
        on
            document_adjustments_split.document_key = invoice_lines_netted.document_key
            and document_adjustments_split.line_id = invoice_lines_netted.line_id
    where not invoice_lines_netted.is_unknown_reference and not invoice_lines_netted.is_internal_course
    union all
    select
        quarter,
        expected_amount_eur as amount_eur
    from enrolments_billed
    where is_internal_course and pricing_model = 'per_participant' and is_billable
    union all
    select
        quarter,
        expected_session_amount_eur as amount_eur
    from sessions_billed
    where is_internal_course and pricing_model = 'per_session' and has_billable_enrolment

),

pool_per_quarter as (

    select
        quarter,
        sum(amount_eur) as pool_eur
    from pool_parts
    group by quarter

),

allocated_per_quarter as (

    select
        quarter,
        sum(amount_eur) as allocated_eur
    from cost_allocation
    group by quarter

),

final as (

    select
        coalesce(pool_per_quarter.quarter, allocated_per_quarter.quarter) as quarter,  -- noqa: RF04
        coalesce(pool_per_quarter.pool_eur, 0) as pool_eur,
        coalesce(allocated_per_quarter.allocated_eur, 0) as allocated_eur
    from pool_per_quarter
    full outer join allocated_per_quarter
        on pool_per_quarter.quarter = allocated_per_quarter.quarter

)

select * from final
where pool_eur <> allocated_eur
