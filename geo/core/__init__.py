"""Pure computation: numpy, pandas, shapely, geopandas. No I/O, no UI, no database."""
