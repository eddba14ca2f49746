"""CLI command groups, one module per area (see leerdata.cli.COMMAND_MODULES)."""
