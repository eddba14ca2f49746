"""The vectorised DuckDB UDF `leerdata_pseudonym(domain, value)`."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from duckdb import func, sqltypes

from leerdata.privacy.keys import load_or_create_key
from leerdata.privacy.pseudonyms import PSEUDONYM_HEX_CHARS, Pseudonymiser

UDF_NAME = "leerdata_pseudonym"


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


def register_pseudonym_udf(conn: duckdb.DuckDBPyConnection, secret: bytes | None = None) -> None:
    key = secret if secret is not None else load_or_create_key()
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
