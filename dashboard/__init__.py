"""The newsradar dashboard: a Streamlit app (app.py, app_pages/) over plain, tested modules."""
