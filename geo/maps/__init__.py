"""folium builders: GeoDataFrames in, folium objects out; offline Leaflet assets."""
