"""Random surrogate ids that replace a personnel number; no mapping is ever stored."""

from __future__ import annotations

import secrets

SURROGATE_PREFIX = "X-"
# SQL predicate: the value is a surrogate (so a second run leaves it alone).
SURROGATE_REGEX = r"X-[0-9a-f]{32}"


def new_surrogate() -> str:
    # secrets, not DuckDB's uuid(): the generator must not be predictable from its output.
    return SURROGATE_PREFIX + secrets.token_hex(16)


def is_surrogate_sql(column: str) -> str:
    return f"regexp_full_match({column}, '{SURROGATE_REGEX}')"
