"""The only geo code that imports streamlit: cached loaders, i18n, shared widgets, map view."""
