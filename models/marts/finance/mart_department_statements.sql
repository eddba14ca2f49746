{# One department's settlement statement per quarter, one row per counterparty: what it
   owes that department (payable), what that department owes it (receivable) and the
   net. Its own courses used by itself are internal and left out: nothing to settle. #}

with

settlement_matrix as (

    select * from {{ ref('mart_settlement_matrix') }}

),

departments as (

    select * from {{ ref('dim_departments') }}

),

payables as (

    select
        quarter,
        debtor_department_code as department_code,
        creditor_department_code as counterparty_department_code,
        amount_eur as payable_eur
    from settlement_matrix
    where creditor_department_code <> debtor_department_code

),

receivables as (

    select
        quarter,
        creditor_department_code as department_code,
        debtor_department_code as counterparty_department_code,
        amount_eur as receivable_eur
    from settlement_matrix
    where creditor_department_code <> debtor_department_code

),

statement_lines as (

    select
        coalesce(payables.quarter, receivables.quarter) as quarter,  -- noqa: RF04
        coalesce(payables.department_code, receivables.department_code) as department_code,
        coalesce(
            payables.counterparty_department_code, receivables.counterparty_department_code
        ) as counterparty_department_code,
        coalesce(payables.payable_eur, 0) as payable_eur,
        coalesce(receivables.receivable_eur, 0) as receivable_eur
    from payables
    full outer join receivables
        on
            payables.quarter = receivables.quarter
            and payables.department_code = receivables.department_code
            and payables.counterparty_department_code = receivables.counterparty_department_code

),

final as (

    select
        statement_lines.quarter,
        statement_lines.department_code,
        statement_lines.counterparty_department_code,
        departments.department_name_nl as counterparty_name_nl,
        cast(statement_lines.payable_eur as decimal(18, 2)) as payable_eur,
        cast(statement_lines.receivable_eur as decimal(18, 2)) as receivable_eur,
        cast(statement_lines.receivable_eur - statement_lines.payable_eur as decimal(18, 2)) as net_eur
    from statement_lines
    left join departments
        on statement_lines.counterparty_department_code = departments.department_code

)

select * from final
