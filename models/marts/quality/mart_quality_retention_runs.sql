{# The steward's retention and erasure runs (counts only). #}

with

retention_runs as (

    select * from {{ ref('stg_retention__runs') }}

),

final as (

    {# the staging model names the columns; this mart's enforced contract pins them,
       so listing them a second time would only repeat the staging model #}
    select * from retention_runs

)

select * from final  -- noqa: AM04
