with

raw_suppliers as (

    {{ rows_of_latest_batch(source('catalogue', 'raw_suppliers'), source('steward', 'load_manifest')) }}

),

newest_row_per_supplier as (

    {# Interpretation #2: the newest file date wins, ties by batch, then line (last wins). #}
    select *
    from raw_suppliers
    qualify row_number() over (
        partition by supplier_id
        order by _file_date desc, _batch_id desc, _line_number desc
    ) = 1

),

final as (

    select
        supplier_id,
        name as supplier_name,
        kvk_number,
        vat_number,
        is_internal
    from newest_row_per_supplier

)

select * from final
