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

from leerdata.privacy.udf import register_build_functions


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        self._config = plugin_config

    def configure_connection(self, conn: duckdb.DuckDBPyConnection) -> None:
        # UDFs live per database: every cursor dbt opens for a node sees them
        register_build_functions(conn)


__all__ = ["Plugin"]
