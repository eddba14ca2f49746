"""The secret behind the cell key method's record keys.

Each record (person-quarter, enrolment, evaluation) gets a fixed pseudo-random record
key computed in SQL as md5(salt || pseudonym); a cell's key is the sum of its records'
keys. The salt is derived from the pseudonymisation key, so it is as secret as that key
and never appears in SQL, logs or a database: the dbt plugin registers a function that
returns it. Who knows the salt could recompute the noise and undo the perturbation.
"""

from __future__ import annotations

import hashlib
import hmac

import duckdb
from duckdb import func, sqltypes

SALT_FUNCTION = "leerdata_cell_key_salt"
_LABEL = b"leerdata cell key method v1"


def cell_key_salt(secret: bytes) -> str:
    return hmac.new(secret, _LABEL, hashlib.sha256).hexdigest()


def register_cell_key_salt(conn: duckdb.DuckDBPyConnection, secret: bytes) -> None:
    """`leerdata_cell_key_salt()`, once per database: its cursors see it. It was a
    session variable, which had to be set on every cursor: a query per dbt node that
    waited for the other thread's work on the database. The record_key macro calls it in
    a scalar subquery, so once per query; it is declared with side effects so that
    DuckDB never folds it into a constant, which EXPLAIN and DuckDB's profiling output
    would print, salt and all."""
    salt = cell_key_salt(secret)

    def salt_of_this_key() -> str:
        return salt

    conn.create_function(
        SALT_FUNCTION,
        salt_of_this_key,
        [],
        sqltypes.VARCHAR,
        type=func.PythonUDFType.NATIVE,
        side_effects=True,  # never folded into a plan (see above)
    )
