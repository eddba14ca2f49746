{% macro amount_only_reason_code_sets() -%}
    {#- Reason-code lists (sorted, joined) whose faults are only about the amount: the
        expected amount is approved and the excess disputed (interpretations #16, #30). -#}
    ('', 'PRICE_MISMATCH', 'CHARGE_NOT_AGREED', 'CHARGE_NOT_AGREED,PRICE_MISMATCH')
{%- endmacro %}
