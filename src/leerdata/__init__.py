"""leerdata: training-data warehouse for a shared government learning service."""

# first, so that its exit handler runs after those of every library leerdata imports
from leerdata import process_exit as _process_exit  # noqa: F401

__version__ = "0.1.0"
