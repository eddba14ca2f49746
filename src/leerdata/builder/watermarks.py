"""How far each incremental staging model has read the landing batches.

One row per incremental model: the highest load-manifest batch it had seen when it was
last built. The model's own post-hook writes the row inside the transaction that changes
the model's table, so a build killed at any moment leaves table and watermark agreeing.

Anything that changes raw rows in place (retention and erasure rewrite identifiers and
blank free text without a new batch) deletes every watermark in its own transaction:
the next build then recomputes every key of every incremental model, so no stale
figure can survive a kill between the change and the rebuild.

Beside them, the keys each model recomputed (`leerdata_build_recomputed_keys`, written
by another post-hook in the same transaction; a NULL key: every key, as in a full
build). A model's own data tests read only the rows of those keys (the dbt macro
duckdb__get_where_subquery): its other rows passed the tests of an earlier published
build and no build since has touched them. The keys are marked when their build is
published and removed when the next build starts, so the keys of a build killed before
its tests ran are still there for the build that finishes the work.
"""

from __future__ import annotations

import duckdb

WATERMARK_TABLE = "leerdata_build_watermarks"
WATERMARK_COLUMNS = (
    ("model_name", "VARCHAR PRIMARY KEY"),
    ("batch_id", "BIGINT NOT NULL"),
    ("built_at", "TIMESTAMP"),
)


RECOMPUTED_KEYS_TABLE = "leerdata_build_recomputed_keys"


def ensure_watermark_table(con: duckdb.DuckDBPyConnection) -> None:
    columns = ", ".join(f"{name} {sql_type}" for name, sql_type in WATERMARK_COLUMNS)
    con.execute(f"create table if not exists main.{WATERMARK_TABLE} ({columns})")
    con.execute(
        f"create table if not exists main.{RECOMPUTED_KEYS_TABLE} "
        "(model_name VARCHAR NOT NULL, key VARCHAR, published BOOLEAN NOT NULL DEFAULT false)"
    )


def mark_recomputed_keys_published(con: duckdb.DuckDBPyConnection) -> None:
    """After a publish: these keys' rows passed the tests of a published build."""
    con.execute(f"update main.{RECOMPUTED_KEYS_TABLE} set published = true")


def forget_published_recomputed_keys(con: duckdb.DuckDBPyConnection) -> None:
    """Before a build: only what it (or a build killed before its publish) recomputes
    is left for the tests."""
    con.execute(f"delete from main.{RECOMPUTED_KEYS_TABLE} where published")


def invalidate_watermarks(con: duckdb.DuckDBPyConnection) -> None:
    """Forget every watermark (call inside the transaction that rewrites raw rows)."""
    ensure_watermark_table(con)
    con.execute(f"delete from main.{WATERMARK_TABLE}")


def watermarks(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    ensure_watermark_table(con)
    return dict(con.execute(f"select model_name, batch_id from main.{WATERMARK_TABLE}").fetchall())
