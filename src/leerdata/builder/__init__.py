"""Running dbt and publishing the reporting database."""
