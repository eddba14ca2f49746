{# The Peppol calculation rules per document (interpretations #32, #33), on amounts as
   sent: TOTAL_MISMATCH for BR-CO-10 ... 13, 15 and 16, VAT_TOTAL_MISMATCH for BR-CO-14
   and the breakdown per VAT category (taxable amount and tax of every category used). #}

with

invoices as (

    select * from {{ ref('stg_invoices__invoices') }}

),

invoice_lines as (

    select * from {{ ref('stg_invoices__invoice_lines') }}

),

allowance_charges as (

    select * from {{ ref('stg_invoices__allowance_charges') }}

),

tax_subtotals as (

    select * from {{ ref('stg_invoices__tax_subtotals') }}

),

line_sums as (

    select
        document_key,
        sum(line_extension_amount_eur) as line_sum_eur
    from invoice_lines
    group by document_key

),

document_allowance_charge_sums as (

    select
        document_key,
        sum(case when is_charge then 0 else amount_eur end) as allowance_sum_eur,
        sum(case when is_charge then amount_eur else 0 end) as charge_sum_eur
    from allowance_charges
    where level = 'document'
    group by document_key

),

subtotal_sums as (

    select
        document_key,
        sum(tax_amount_eur) as subtotal_tax_eur
    from tax_subtotals
    group by document_key

),

category_amounts as (

    {# What each (category, percent) should be taxed on: its lines plus the document
       charges minus the document allowances in it. Lines without a percent are
       VAT_MISMATCH already and left out. #}
    select
        document_key,
        vat_category_id as tax_category_id,
        vat_percent as tax_percent,
        line_extension_amount_eur as amount_eur
    from invoice_lines
    where vat_percent is not null
    union all
    select
        document_key,
        tax_category_id,
        tax_percent,
        case when is_charge then amount_eur else -amount_eur end as amount_eur
    from allowance_charges
    where level = 'document' and tax_percent is not null

),

category_expected as (

    select
        document_key,
        tax_category_id,
        tax_percent,
        sum(amount_eur) as taxable_expected_eur
    from category_amounts
    group by document_key, tax_category_id, tax_percent

),

category_sent as (

    select
        document_key,
        tax_category_id,
        tax_percent,
        sum(taxable_amount_eur) as taxable_sent_eur,
        sum(tax_amount_eur) as tax_sent_eur
    from tax_subtotals
    group by document_key, tax_category_id, tax_percent

),

categories_wrong as (

    select distinct coalesce(category_expected.document_key, category_sent.document_key) as document_key
    from category_expected
    full outer join category_sent
        on
            category_expected.document_key = category_sent.document_key
            and category_expected.tax_category_id is not distinct from category_sent.tax_category_id
            and category_expected.tax_percent = category_sent.tax_percent
    where
        category_sent.document_key is null
        or category_expected.document_key is null
        or category_sent.taxable_sent_eur <> category_expected.taxable_expected_eur
        {# round() on a decimal rounds half away from zero: half-up on the magnitude. #}
        or category_sent.tax_sent_eur
        <> cast(round(category_sent.taxable_sent_eur * category_sent.tax_percent / 100, 2) as decimal(18, 2))

),

checks as (

    select
        invoices.document_key,
        {# BR-CO-10; a missing header total cannot be confirmed (interpretation #18b). #}
        coalesce(invoices.line_extension_total_eur <> coalesce(line_sums.line_sum_eur, 0), true)
            as fails_br_co_10,
        coalesce(invoices.allowance_total_eur, 0) <> coalesce(sums.allowance_sum_eur, 0) as fails_br_co_11,
        coalesce(invoices.charge_total_eur, 0) <> coalesce(sums.charge_sum_eur, 0) as fails_br_co_12,
        coalesce(
            invoices.tax_exclusive_total_eur
            <> invoices.line_extension_total_eur
            - coalesce(invoices.allowance_total_eur, 0)
            + coalesce(invoices.charge_total_eur, 0),
            false
        ) as fails_br_co_13,
        coalesce(invoices.tax_total_eur, 0) <> coalesce(subtotal_sums.subtotal_tax_eur, 0) as fails_br_co_14,
        coalesce(
            invoices.tax_inclusive_total_eur
            <> invoices.tax_exclusive_total_eur + coalesce(invoices.tax_total_eur, 0),
            false
        ) as fails_br_co_15,
        coalesce(
            invoices.payable_total_eur
            <> invoices.tax_inclusive_total_eur
            - coalesce(invoices.prepaid_total_eur, 0)
            + coalesce(invoices.payable_rounding_eur, 0),
            false
        ) as fails_br_co_16,
        {# A document that sends no VAT breakdown at all has nothing to check. #}
        invoices.document_key in (select categories_wrong.document_key from categories_wrong)
        and (invoices.tax_total_eur is not null or subtotal_sums.document_key is not null)
            as fails_vat_breakdown
    from invoices
    left join line_sums
        on invoices.document_key = line_sums.document_key
    left join document_allowance_charge_sums as sums
        on invoices.document_key = sums.document_key
    left join subtotal_sums
        on invoices.document_key = subtotal_sums.document_key

),

final as (

    select
        *,
        fails_br_co_10 or fails_br_co_11 or fails_br_co_12 or fails_br_co_13 or fails_br_co_15
        or fails_br_co_16 as is_total_mismatch,
        fails_br_co_14 or fails_vat_breakdown as is_vat_total_mismatch
    from checks

)

select * from final
