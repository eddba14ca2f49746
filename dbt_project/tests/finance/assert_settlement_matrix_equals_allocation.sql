{# The matrix and the statements are sums of the allocation: per quarter the matrix
   total equals the allocated total, and every statement's net over all departments is
   zero (what one department is owed another owes). #}

with

cost_allocation as (

    select * from {{ ref('fct_cost_allocation') }}

),

settlement_matrix as (

    select * from {{ ref('mart_settlement_matrix') }}

),

department_statements as (

    select * from {{ ref('mart_department_statements') }}

),

allocated as (

    select
        quarter,
        sum(amount_eur) as amount_eur
    from cost_allocation
    group by quarter

),

matrix as (

    select
        quarter,
        sum(amount_eur) as amount_eur
    from settlement_matrix
    group by quarter

),

matrix_failures as (

    select
        coalesce(allocated.quarter, matrix.quarter) as quarter,  -- noqa: RF04
        'matrix total differs from allocation' as failure
    from allocated
    full outer join matrix
        on allocated.quarter = matrix.quarter
    where coalesce(allocated.amount_eur <> matrix.amount_eur, true)

),

statement_failures as (

    select
        quarter,
        'statements do not net to zero' as failure
    from department_statements
    group by quarter
    having sum(net_eur) <> 0 or sum(payable_eur) <> sum(receivable_eur)

),

final as (

    select * from matrix_failures
    union all
    select * from statement_failures

)

select * from final
