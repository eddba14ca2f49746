{# Document-level allowances and agreed charges (interpretation #31), spread over the
   document's lines with a positive net approved amount, in proportion to it, by the
   largest-remainder method (ties: line id), so the shares add up to the cent. A
   document with no such line keeps the amount on hold (line_id NULL). Integer cents
   throughout.

   Year-incremental (leerdata.builder.periods), but a document may have lines in several
   years and its split depends on all of them: this model reads every line of every
   document with a line in a recomputed year, and writes only the rows of recomputed
   years (delete+insert replaces every year present in its rows). periods.py closes the
   recomputed years over such documents, so a document's years are recomputed together.
   A share has its line's year; an amount on hold the document's earliest session year
   (the sentinel year 0 when no line has one). #}

{{ year_incremental_config(with_sentinel=true) }}

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

lines_of_adjusted_documents as (

    select
        invoice_lines_netted.document_key,
        invoice_lines_netted.line_id,
        invoice_lines_netted.year,
        invoice_lines_netted.net_approved_amount_eur
    from invoice_lines_netted
    where
        invoice_lines_netted.document_key
        in (select document_adjustments.document_key from document_adjustments)

),

documents_recomputed as (

    {# Complete documents: every document with a line in a recomputed year, and (their
       amount is on hold in the sentinel year) the ones without a line. #}
    select document_key
    from lines_of_adjusted_documents
    where {{ in_changed_years('year', with_sentinel=true) }}
    union
    select document_key
    from document_adjustments
    where
        document_key
        not in (select lines_of_adjusted_documents.document_key from lines_of_adjusted_documents)

),

document_lines as (

    select *
    from lines_of_adjusted_documents
    where document_key in (select documents_recomputed.document_key from documents_recomputed)

),

document_years as (

    select
        document_key,
        coalesce(
            min(year) filter (where year <> {{ no_session_year() }}), {{ no_session_year() }}
        ) as year  -- noqa: RF04
    from document_lines
    group by document_key

),

line_weights as (

    select
        document_adjustments.document_key,
        invoice_lines_netted.line_id,
        invoice_lines_netted.year,
        cast(invoice_lines_netted.net_approved_amount_eur * 100 as hugeint) as weight,
        cast(abs(document_adjustments.accepted_amount_eur) * 100 as hugeint) as item_cents,
        case when document_adjustments.accepted_amount_eur < 0 then -1 else 1 end as amount_sign
    from document_adjustments
    inner join document_lines as invoice_lines_netted
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
        year,
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
        document_adjustments.document_key,
        cast(null as varchar) as line_id,
        cast(coalesce(document_years.year, {{ no_session_year() }}) as integer) as year,  -- noqa: RF04
        cast(document_adjustments.accepted_amount_eur as decimal(18, 2)) as share_eur,
        true as is_on_hold
    from document_adjustments
    left join document_years
        on document_adjustments.document_key = document_years.document_key
    where
        document_adjustments.document_key
        in (select documents_recomputed.document_key from documents_recomputed)
        and document_adjustments.document_key not in (select line_weights.document_key from line_weights)

),

final as (

    {# Only rows of recomputed years: a complete document's rows in other years stay. #}
    select * from shares
    where {{ in_changed_years('year', with_sentinel=true) }}
    union all
    select * from documents_without_approved_lines
    where {{ in_changed_years('year', with_sentinel=true) }}

)

select * from final
order by year  {# a year's rows stored together: see year_incremental_config #}
