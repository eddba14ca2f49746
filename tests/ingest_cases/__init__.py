"""Small landing files for the ingest tests, built from the contract."""
