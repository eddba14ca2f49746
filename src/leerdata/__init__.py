"""leerdata: training-data warehouse for a shared government learning service."""

__version__ = "0.1.0"
