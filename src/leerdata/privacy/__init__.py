"""Privacy primitives: the pseudonymisation key, keyed pseudonyms and the dbt plugin."""
