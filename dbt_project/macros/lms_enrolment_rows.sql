{% macro newest_rows_with_enrolment_key(raw_rows, partition_by, enrolments_relation) -%}
    {#- Shared by the LMS exports that hang off an enrolment (attendance, exam results,
        evaluations): the newest raw row per key, with its enrolment's pseudonym in front
        of the raw columns.

        raw_rows: the CTE of the model's raw rows (latest_rows_of_changed_keys);
        partition_by: the key columns, a list; enrolments_relation:
        ref('stg_lms__enrolments'), passed by the model so its lineage stays visible there.

        Interpretation #2: the newest file date wins, ties by batch, then line (last wins).
        The enrolment pseudonyms are already computed in stg_lms__enrolments: an HMAC in
        Python costs seconds per million values, a join on enrolment_id a fraction of that.
        Only an enrolment unknown to the LMS export falls back to the UDF (an anonymous
        evaluation, enrolment_id null, keeps a null key). -#}
    select
        coalesce(
            enrolments.enrolment_key,
            {{ pseudonymise('newest_rows.enrolment_id') }}
        ) as enrolment_key,
        newest_rows.*
    from (
        select *
        from {{ raw_rows }}
        qualify row_number() over (
            partition by {{ partition_by | join(', ') }}
            order by _file_date desc, _batch_id desc, _line_number desc
        ) = 1
    ) as newest_rows
    left join {{ enrolments_relation }} as enrolments
        on newest_rows.enrolment_id = enrolments.enrolment_id
{%- endmacro %}
