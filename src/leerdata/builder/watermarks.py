"""How far each incremental staging model has read the landing batches.

One row per incremental model: the highest load-manifest batch it had seen when it was
last built. The model's own post-hook writes the row inside the transaction that changes
the model's table, so a build killed at any moment leaves table and watermark agreeing.

Anything that changes raw rows in place (retention and erasure rewrite identifiers and
blank free text without a new batch) deletes every watermark in its own transaction:
the next build then recomputes every key of every incremental model, so no stale
figure can survive a kill between the change and the rebuild.
"""

from __future__ import annotations

import duckdb

WATERMARK_TABLE = "leerdata_build_watermarks"
WATERMARK_COLUMNS = (
    ("model_name", "VARCHAR PRIMARY KEY"),
    ("batch_id", "BIGINT NOT NULL"),
    ("built_at", "TIMESTAMP"),
)


def ensure_watermark_table(con: duckdb.DuckDBPyConnection) -> None:
    columns = ", ".join(f"{name} {sql_type}" for name, sql_type in WATERMARK_COLUMNS)
    con.execute(f"create table if not exists main.{WATERMARK_TABLE} ({columns})")


def invalidate_watermarks(con: duckdb.DuckDBPyConnection) -> None:
    """Forget every watermark (call inside the transaction that rewrites raw rows)."""
    ensure_watermark_table(con)
    con.execute(f"delete from main.{WATERMARK_TABLE}")


def watermarks(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    ensure_watermark_table(con)
    return dict(con.execute(f"select model_name, batch_id from main.{WATERMARK_TABLE}").fetchall())
