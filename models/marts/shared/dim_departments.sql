with

departments as (

    select * from {{ ref('departments') }}

),

final as (

    select
        department_code,
        name_nl as department_name_nl,
        name_en as department_name_en,
        is_shared_service
    from departments

)

select * from final
