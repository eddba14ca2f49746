"""The DuckDB functions behind keyed pseudonyms.

- `leerdata_hmac_pad(domain, part)`: the inner or outer HMAC block of a domain's key
  (leerdata.privacy.pseudonyms.hmac_pads). The dbt macro `pseudonymise` hashes with
  DuckDB's own sha256 around it, calling it in a scalar subquery, so once per query,
  and the blocks stay inside the query: never in SQL text, a log or a table. It is
  declared with side effects so that DuckDB never folds it into a constant: a folded
  constant is printed, blocks and all, by EXPLAIN and by DuckDB's profiling output.
- `leerdata_pseudonym(domain, value)`: the vectorised Python UDF, for pseudonyms of a
  domain computed outside dbt (research releases).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from duckdb import func, sqltypes

from leerdata.privacy.cell_keys import register_cell_key_salt
from leerdata.privacy.keys import load_or_create_key
from leerdata.privacy.pseudonyms import PSEUDONYM_HEX_CHARS, Pseudonymiser, hmac_pads

UDF_NAME = "leerdata_pseudonym"
PAD_UDF_NAME = "leerdata_hmac_pad"
PAD_PARTS = ("inner", "outer")


def _pseudonym_array(pseudonyms: list[str | None]) -> pa.Array:
    """Pseudonyms (PSEUDONYM_HEX_CHARS hex characters each, no NULL) as an Arrow string
    array built from its buffers. `pa.array()` on a Python list imports pandas to check
    whether the list is a pandas object: ~1.2 s on the first call of every build, most
    of a small day's pseudonymising."""
    width = PSEUDONYM_HEX_CHARS
    if any(value is None or len(value) != width for value in pseudonyms):
        return pa.array(pseudonyms, type=pa.string())
    offsets = np.arange(0, width * (len(pseudonyms) + 1), width, dtype=np.int32)
    data = "".join(pseudonyms).encode("ascii")  # type: ignore[arg-type]
    return pa.Array.from_buffers(
        pa.string(), len(pseudonyms), [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )


def _register_pad_udf(conn: duckdb.DuckDBPyConnection, key: bytes) -> None:
    pads: dict[str, tuple[bytes, bytes]] = {}

    def pad(domain: str, part: str) -> bytes:
        if part not in PAD_PARTS:
            raise ValueError(f"{PAD_UDF_NAME}: part must be one of {PAD_PARTS}, got {part!r}")
        if domain not in pads:
            pads[domain] = hmac_pads(key, domain)
        return pads[domain][PAD_PARTS.index(part)]

    conn.create_function(
        PAD_UDF_NAME,
        pad,
        [sqltypes.VARCHAR, sqltypes.VARCHAR],
        sqltypes.BLOB,
        type=func.PythonUDFType.NATIVE,
        side_effects=True,  # never folded into a plan (see the module's docstring)
    )


def register_pseudonym_udf(conn: duckdb.DuckDBPyConnection, secret: bytes | None = None) -> None:
    """Both functions, on a connection (UDFs are per database: its cursors see them)."""
    key = secret if secret is not None else load_or_create_key()
    _register_pad_udf(conn, key)
    by_domain: dict[str, Pseudonymiser] = {}

    def pseudonym(domains: pa.Array, values: pa.Array) -> pa.Array:
        domain_list = domains.to_pylist()
        if len(set(domain_list)) == 1:
            domain = domain_list[0]
            if domain is None:
                raise ValueError("leerdata_pseudonym: domain must not be NULL")
            worker = by_domain.setdefault(domain, Pseudonymiser(key, domain))
            # each distinct value once: a batch of HR rows repeats its people
            if isinstance(values, pa.ChunkedArray):
                values = values.combine_chunks()
            encoded = pc.dictionary_encode(values)
            distinct = _pseudonym_array(worker.many(encoded.dictionary.to_pylist()))
            return pc.take(distinct, encoded.indices)
        out = []
        for domain, value in zip(domain_list, values.to_pylist(), strict=True):
            worker = by_domain.setdefault(domain, Pseudonymiser(key, domain))
            out.append(worker.one(value))
        return pa.array(out, type=pa.string())

    conn.create_function(
        UDF_NAME,
        pseudonym,
        [sqltypes.VARCHAR, sqltypes.VARCHAR],
        sqltypes.VARCHAR,
        type=func.PythonUDFType.ARROW,
        null_handling=func.FunctionNullHandling.SPECIAL,
        side_effects=False,
    )


def register_build_functions(conn: duckdb.DuckDBPyConnection, secret: bytes | None = None) -> None:
    """Every keyed function the dbt models call (the pseudonym functions and the cell key
    salt), once per database: for the dbt plugin and for anything else that runs the
    models' compiled SQL (the benchmark's replay)."""
    key = secret if secret is not None else load_or_create_key()
    register_pseudonym_udf(conn, key)
    register_cell_key_salt(conn, key)
