{# Quarter x creditor x debtor: what each department owes each course owner. The
   diagonal (a department's use of its own courses) is kept so the matrix sums to the
   pool. #}

with

cost_allocation as (

    select * from {{ ref('fct_cost_allocation') }}

),

final as (

    select
        quarter,
        creditor_department_code,
        debtor_department_code,
        cast(sum(amount_eur) as decimal(18, 2)) as amount_eur,
        count(*) as allocation_count
    from cost_allocation
    group by quarter, creditor_department_code, debtor_department_code

)

select * from final
