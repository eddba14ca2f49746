"""The secret behind the cell key method's record keys.

Each record (person-quarter, enrolment, evaluation) gets a fixed pseudo-random record
key computed in SQL as md5(salt || pseudonym); a cell's key is the sum of its records'
keys. The salt is derived from the pseudonymisation key, so it is as secret as that key
and never appears in SQL, logs or a database: the dbt plugin puts it in a session
variable. Who knows the salt could recompute the noise and undo the perturbation.
"""

from __future__ import annotations

import hashlib
import hmac

import duckdb

SALT_VARIABLE = "leerdata_cell_key_salt"
_LABEL = b"leerdata cell key method v1"


def cell_key_salt(secret: bytes) -> str:
    return hmac.new(secret, _LABEL, hashlib.sha256).hexdigest()


def register_cell_key_salt(conn: duckdb.DuckDBPyConnection, secret: bytes) -> None:
    salt = cell_key_salt(secret)  # hex digits only: safe to inline
    conn.execute(f"set variable {SALT_VARIABLE} = '{salt}'")
