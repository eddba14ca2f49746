"""dbt-duckdb plugin: registers the keyed-pseudonym functions on every dbt connection.

profiles.yml names this module under `plugins`; the macro `pseudonymise(column,
domain)` calls `leerdata_hmac_pad(domain, part)` (leerdata.privacy.udf). The key is read
here, in-process, so it never appears in compiled SQL, the profile or dbt's logs.
"""

from __future__ import annotations

from typing import Any

import duckdb
from dbt.adapters.duckdb.plugins import BasePlugin

from leerdata.privacy.cell_keys import register_cell_key_salt
from leerdata.privacy.keys import load_or_create_key
from leerdata.privacy.udf import register_pseudonym_udf


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        self._config = plugin_config

    def configure_connection(self, conn: duckdb.DuckDBPyConnection) -> None:
        self._secret = load_or_create_key()
        register_pseudonym_udf(conn, self._secret)

    def configure_cursor(self, cursor: Any) -> None:
        # session variables live per cursor (a DuckDB client context), UDFs per database
        register_cell_key_salt(cursor, self._secret)


__all__ = ["Plugin"]
