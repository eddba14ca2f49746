"""The leerdata Streamlit dashboards (run dashboards/app.py)."""
