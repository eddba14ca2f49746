"""dbt-duckdb plugin: registers the keyed functions on the database dbt opens.

profiles.yml names this module under `plugins`; the macro `pseudonymise(column,
domain)` calls `leerdata_hmac_pad(domain, part)` (leerdata.privacy.udf), the macro
`record_key` calls `leerdata_cell_key_salt()` (leerdata.privacy.cell_keys). The key is
read here, in-process, so it never appears in compiled SQL, the profile or dbt's logs.
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
        # UDFs live per database: every cursor dbt opens for a node sees them
        secret = load_or_create_key()
        register_pseudonym_udf(conn, secret)
        register_cell_key_salt(conn, secret)


__all__ = ["Plugin"]
