"""The naive baseline of bench/page_bench.py: every grid cell as a folium choropleth through st_folium.

What a plain Streamlit + folium page does: read the cells, colour them by quintile with a
GeoJson ``style_function`` and hand the whole map to ``st_folium`` on every run. The bench gives it
SafeGrid's advantages that cost no code (canvas rendering, no rerun on pan, Leaflet from the app's
own static files, as there is no internet) and copies it beside a ``static`` link to serve those.
Run: ``DATABASE_URL=sqlite:///demo.sqlite streamlit run naive_grid_page.py``.
"""
import os

import folium
import geopandas as gpd
import pandas as pd
import shapely
import sqlalchemy as sa
import streamlit as st
from streamlit_folium import st_folium

COLORS = ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"]
LEAFLET = "/app/static/vendor/leaflet/leaflet"


@st.cache_data
def cells(url: str) -> gpd.GeoDataFrame:
    with sa.create_engine(url).connect() as conn:
        areas = pd.read_sql("SELECT code, geom FROM areas WHERE level = 'grid'", conn)
        latest = conn.execute(sa.text("SELECT MAX(day) FROM incident_daily")).scalar()
        since = pd.Timestamp(latest) - pd.Timedelta(90, "D")
        counts = pd.read_sql(sa.text("SELECT cell_code AS code, SUM(n) AS total, SUM(CASE WHEN day >= :since THEN n "
                                     "ELSE 0 END) AS recent FROM incident_daily GROUP BY cell_code"),
                             conn, params={"since": since.date().isoformat()})
    gdf = gpd.GeoDataFrame(areas[["code"]], geometry=shapely.from_wkb(areas["geom"]), crs=4326)
    return gdf.merge(counts, on="code", how="left").fillna({"total": 0, "recent": 0})


measure = st.radio("measure", ["—", "total", "recent"], horizontal=True)
if measure != "—":
    gdf = cells(os.environ["DATABASE_URL"]).copy()
    gdf["color"] = pd.qcut(gdf[measure].rank(method="first"), 5, labels=COLORS).astype(str)
    fmap = folium.Map(tiles=None, prefer_canvas=True)
    fmap.default_js, fmap.default_css = [("leaflet", LEAFLET + ".js")], [("leaflet_css", LEAFLET + ".css")]
    folium.GeoJson(gdf, style_function=lambda f: {"fillColor": f["properties"]["color"], "color": "#4d4d4d",
                                                  "weight": 0.7, "fillOpacity": 0.75},
                   tooltip=folium.GeoJsonTooltip(["code", measure])).add_to(fmap)
    minx, miny, maxx, maxy = gdf.total_bounds
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    st_folium(fmap, height=620, use_container_width=True, returned_objects=[])
