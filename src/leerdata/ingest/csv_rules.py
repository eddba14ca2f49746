"""A contract column's checks and cast as DuckDB SQL expressions.

Validation and casting run in the same engine, so a value that passes its check is
exactly a value the cast accepts. DuckDB's own TRY_CAST is too lenient for a contract
('.5' → BIGINT 1, 'yes' → true, '12.345' → 12.35, '2024-1-5' → a date), so each type
first has to match the contract's literal form.

Those literal forms are regular expressions, and at `rijk` they run on tens of millions
of values. Almost every value is in one fixed-width form (`2024-03-01`,
`2024-03-01T09:15:00`, `42`), which a GLOB with character classes recognises at a
third of a regular expression's cost. So a value is first tested against such a cheap
form; only a value that fails it (or that it cannot decide) pays for the regular
expression. Every cheap form matches a subset of its regular expression's language,
so the outcome is the regular expression's, value for value (tests/test_ingest_cheap_checks.py).
"""

from __future__ import annotations

from leerdata.contract import Column

# The literal forms the contract allows (docs/contract.md, CSV dialect).
_INT = r"^[+-]?[0-9]+$"
_DECIMAL_2 = r"^[+-]?([0-9]+(\.[0-9]{0,2}0*)?|\.[0-9]{1,2}0*)$"  # trailing zeros are harmless
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_TIME = r"[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?"
_OFFSET = r"(Z|[+-][0-9]{2}(:?[0-9]{2})?)"
_TIMESTAMP = rf"^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}({_TIME}{_OFFSET}?)?$"

# Cheap forms: GLOB patterns (one character per `[0-9]`) whose every match also matches
# the regular expression above. Digits-only is "starts with a digit and has no non-digit".
_D = "[0-9]"
_CHEAP_DATE = f"{_D * 4}-{_D * 2}-{_D * 2}"
_CHEAP_TIMESTAMPS = tuple(f"{_CHEAP_DATE}{sep}{_D * 2}:{_D * 2}:{_D * 2}" for sep in ("T", " "))


def _all_digits(value: str) -> str:
    return f"({value} glob '{_D}*' and not {value} glob '*[!0-9]*')"


def _cheap_timestamp(value: str) -> str:
    return "(" + " or ".join(f"{value} glob '{form}'" for form in _CHEAP_TIMESTAMPS) + ")"


def cheap_form(column_type: str, value: str) -> str | None:
    """A cheap test that implies the type's regular expression, or None (no cheap form)."""
    match column_type:
        case "int":
            return _all_digits(value)
        case "decimal":  # digits, or digits '.' two digits (a price as written by most systems)
            return (
                f"({_all_digits(value)} or ({value} glob '{_D}*.{_D}{_D}' "
                f"and {_all_digits(f'left({value}, -3)')}))"
            )
        case "date":
            return f"{value} glob '{_CHEAP_DATE}'"
        case "timestamp":
            return f"({value} glob '{_CHEAP_DATE}' or {_cheap_timestamp(value)})"
    return None


TYPE_REASONS = {
    "int": "INVALID_TYPE",
    "decimal": "INVALID_TYPE",
    "bool": "INVALID_TYPE",
    "date": "INVALID_DATE",
    "timestamp": "INVALID_TIMESTAMP",
}


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _value(field: str) -> str:
    """The field with the contract's 'empty = NULL' applied (quoted "" is empty too)."""
    return f"nullif({field}, '')"


def trimmed_name(field: str) -> str:
    """The column that holds the field trimmed (see trimmed_projection)."""
    return f"{field}_trimmed"


def trimmed_projection(columns: dict[Column, str]) -> str:
    """`trim(...) as <field>_trimmed` for every typed column (contract column → field).

    The checks and the cast read a typed value up to six times; DuckDB would trim it
    each time, which cost more than the checks themselves, so the caller projects the
    trimmed value once, under trimmed_name, below the expressions of this module."""
    return ", ".join(
        f"trim({_value(field)}) as {trimmed_name(field)}"
        for column, field in columns.items()
        if column.type != "text"
    )


def _trimmed(field: str) -> str:
    return trimmed_name(field)


def _wall_clock(field: str, cheap_first: bool = True) -> str:
    # Keep the wall-clock time a timestamp was written in: the warehouse's timestamps are
    # local (cancellation windows count local days), so an offset is dropped, not applied.
    # Only values that carry an offset pay for the regex (cheap string tests first); the
    # usual `2024-03-01T09:15:00` has none, which one GLOB settles.
    value = _trimmed(field)
    has_offset = (
        f"(suffix({value}, 'Z') or contains(substr({value}, 11), '+') "
        f"or contains(substr({value}, 11), '-'))"
    )
    without_offset = f"when {_cheap_timestamp(value)} then {value} " if cheap_first else ""
    return (
        f"case {without_offset}when {has_offset} then regexp_replace({value}, '{_OFFSET}$', '') "
        f"else {value} end"
    )


def typed_expression(column: Column, field: str, cheap_first: bool = True) -> str:
    """The field cast to the column's DuckDB type (NULL when empty); only for valid rows.

    Like reason_expression, it reads the trimmed_projection of a typed column."""
    match column.type:
        case "text":
            return _value(field)
        case "bool":
            return f"lower({_trimmed(field)}) = 'true'"
        case "timestamp":
            return f"try_cast({_wall_clock(field, cheap_first)} as timestamp)"
        case _:
            return f"try_cast({_trimmed(field)} as {column.duckdb_type})"


_FORMS = {"int": _INT, "decimal": _DECIMAL_2, "date": _DATE, "timestamp": _TIMESTAMP}


def _is_well_formed(column: Column, field: str, cheap_first: bool = True) -> str:
    value = _trimmed(field)
    if column.type == "bool":
        return f"lower({value}) in ('true', 'false')"
    if column.type in _FORMS:
        literal = f"regexp_full_match({value}, '{_FORMS[column.type]}')"
        cheap = cheap_form(column.type, value) if cheap_first else None
        if cheap is not None:  # CASE evaluates the regex only for rows the GLOB let through
            literal = f"case when {cheap} then true else {literal} end"
        return f"({literal} and {typed_expression(column, field, cheap_first)} is not null)"
    return "true"


def _allowed_condition(column: Column, field: str, cheap_first: bool) -> str | None:
    if column.allowed is None:
        return None
    if column.type == "text":
        listed = ", ".join(sql_literal(v) for v in column.allowed)
        return f"{_value(field)} not in ({listed})"
    listed = ", ".join(f"cast({sql_literal(v)} as {column.duckdb_type})" for v in column.allowed)
    return f"{typed_expression(column, field, cheap_first)} not in ({listed})"


def _range_condition(column: Column, field: str, cheap_first: bool) -> str | None:
    typed = typed_expression(column, field, cheap_first)
    bounds = []
    if column.minimum is not None:
        bounds.append(f"{typed} < {column.minimum!r}")
    if column.maximum is not None:
        bounds.append(f"{typed} > {column.maximum!r}")
    return " or ".join(bounds) or None


def reason_expression(column: Column, field: str, cheap_first: bool = True) -> str:
    """The field's quarantine reason code, or NULL when the value obeys the contract.

    cheap_first=False is the plain regular-expression path, kept to prove the cheap
    one equal to it."""
    branches = [
        f"when {_value(field)} is null then "
        + ("'REQUIRED_MISSING'" if column.required else "null")
    ]
    if column.type in TYPE_REASONS:
        branches.append(
            f"when not {_is_well_formed(column, field, cheap_first)} "
            f"then '{TYPE_REASONS[column.type]}'"
        )
    allowed = _allowed_condition(column, field, cheap_first)
    if allowed:
        branches.append(f"when {allowed} then 'UNKNOWN_VALUE'")
    in_range = _range_condition(column, field, cheap_first)
    if in_range:
        branches.append(f"when {in_range} then 'OUT_OF_RANGE'")
    return "case " + " ".join(branches) + " end"
