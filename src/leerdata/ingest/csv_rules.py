"""A contract column's checks and cast as DuckDB SQL expressions.

Validation and casting run in the same engine, so a value that passes its check is
exactly a value the cast accepts. DuckDB's own TRY_CAST is too lenient for a contract
('.5' → BIGINT 1, 'yes' → true, '12.345' → 12.35, '2024-1-5' → a date), so each type
first has to match the contract's literal form.
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


def _trimmed(field: str) -> str:
    return f"trim({_value(field)})"


def _wall_clock(field: str) -> str:
    # Keep the wall-clock time a timestamp was written in: the warehouse's timestamps are
    # local (cancellation windows count local days), so an offset is dropped, not applied.
    # Only values that carry an offset pay for the regex (cheap string tests first).
    value = _trimmed(field)
    has_offset = (
        f"(suffix({value}, 'Z') or contains(substr({value}, 11), '+') "
        f"or contains(substr({value}, 11), '-'))"
    )
    return f"case when {has_offset} then regexp_replace({value}, '{_OFFSET}$', '') else {value} end"


def typed_expression(column: Column, field: str) -> str:
    """The field cast to the column's DuckDB type (NULL when empty); only for valid rows."""
    match column.type:
        case "text":
            return _value(field)
        case "bool":
            return f"lower({_trimmed(field)}) = 'true'"
        case "timestamp":
            return f"try_cast({_wall_clock(field)} as timestamp)"
        case _:
            return f"try_cast({_trimmed(field)} as {column.duckdb_type})"


_FORMS = {"int": _INT, "decimal": _DECIMAL_2, "date": _DATE, "timestamp": _TIMESTAMP}


def _is_well_formed(column: Column, field: str) -> str:
    value = _trimmed(field)
    if column.type == "bool":
        return f"lower({value}) in ('true', 'false')"
    if column.type in _FORMS:
        form = _FORMS[column.type]
        return (
            f"(regexp_full_match({value}, '{form}') "
            f"and {typed_expression(column, field)} is not null)"
        )
    return "true"


def _allowed_condition(column: Column, field: str) -> str | None:
    if column.allowed is None:
        return None
    if column.type == "text":
        listed = ", ".join(sql_literal(v) for v in column.allowed)
        return f"{_value(field)} not in ({listed})"
    listed = ", ".join(f"cast({sql_literal(v)} as {column.duckdb_type})" for v in column.allowed)
    return f"{typed_expression(column, field)} not in ({listed})"


def _range_condition(column: Column, field: str) -> str | None:
    bounds = []
    if column.minimum is not None:
        bounds.append(f"{typed_expression(column, field)} < {column.minimum!r}")
    if column.maximum is not None:
        bounds.append(f"{typed_expression(column, field)} > {column.maximum!r}")
    return " or ".join(bounds) or None


def reason_expression(column: Column, field: str) -> str:
    """The field's quarantine reason code, or NULL when the value obeys the contract."""
    branches = [
        f"when {_value(field)} is null then "
        + ("'REQUIRED_MISSING'" if column.required else "null")
    ]
    if column.type in TYPE_REASONS:
        branches.append(
            f"when not {_is_well_formed(column, field)} then '{TYPE_REASONS[column.type]}'"
        )
    allowed = _allowed_condition(column, field)
    if allowed:
        branches.append(f"when {allowed} then 'UNKNOWN_VALUE'")
    in_range = _range_condition(column, field)
    if in_range:
        branches.append(f"when {in_range} then 'OUT_OF_RANGE'")
    return "case " + " ".join(branches) + " end"
