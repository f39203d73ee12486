"""Files with geometry: GeoJSON (read here, bounded) and what GDAL reads (Shapefile, GeoPackage)."""

from __future__ import annotations

import json
import math
import re
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.ingest.errors import ImportRefused
from geo.ingest.limits import limit
from geo.ingest.rawtable import RawTable, check_cells, check_header, short_error
from geo.ingest.reasons import reason as because
from geo.ingest.textfiles import decode_text


def crs_from_geojson(doc: dict) -> str | None:
    """The EPSG code named by a GeoJSON ``crs`` member (old-style), if any."""
    crs = doc.get("crs") if isinstance(doc, dict) else None
    if not isinstance(crs, dict):
        return None
    text = str((crs.get("properties") or {}).get("name", ""))
    if "CRS84" in text.upper():
        return "EPSG:4326"
    match = re.search(r"EPSG:+(\d+)", text, re.IGNORECASE)
    return f"EPSG:{match.group(1)}" if match else None


def read_geojson(data: bytes, name: str) -> RawTable:
    text, _ = decode_text(data, name)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportRefused(because("bad_json", file=name, detail=exc.msg, line=exc.lineno)) from exc
    except RecursionError:
        raise ImportRefused(because("json_too_deep", file=name)) from None
    if not isinstance(doc, dict) or doc.get("type") not in ("FeatureCollection", "Feature"):
        raise ImportRefused(because("not_geojson", file=name))
    features = doc.get("features", [doc]) if doc["type"] == "FeatureCollection" else [doc]
    if not isinstance(features, list) or not features:
        raise ImportRefused(because("no_features", file=name))
    if len(features) > limit("SAFEGRID_MAX_ROWS"):
        raise ImportRefused(because("too_many_features", file=name, n=len(features), most=limit("SAFEGRID_MAX_ROWS")))
    props, geoms = [], []
    import shapely.geometry as sg

    bad_geometry = []
    for i, feat in enumerate(features, start=1):
        if not isinstance(feat, dict):
            raise ImportRefused(because("bad_feature", file=name, i=i))
        properties = feat.get("properties") or {}
        if not isinstance(properties, dict):
            raise ImportRefused(because("bad_properties", file=name, i=i))
        props.append(properties)
        geom = feat.get("geometry")
        try:
            geoms.append(sg.shape(geom) if geom else None)
        except (Exception, RecursionError):  # shapely raises several kinds for malformed coordinates
            geoms.append(None)
            bad_geometry.append(i)
    keys = set().union(*(p.keys() for p in props))
    if len(keys) > limit("SAFEGRID_MAX_COLUMNS"):
        raise ImportRefused(because("too_many_properties", file=name, n=len(keys), most=limit("SAFEGRID_MAX_COLUMNS")))
    check_cells(len(props), len(keys), name)
    frame = pd.DataFrame(props, index=range(len(props)))
    frame = frame.map(_property_text)
    frame = frame.where(frame.notna(), None)
    check_header(frame, name)
    geometry = gpd.GeoSeries(geoms, index=frame.index)
    table = RawTable(frame, geometry, crs_from_geojson(doc), pd.Series(frame.index + 1, index=frame.index), "feature")
    table.frame.attrs["bad_geometry"] = bad_geometry
    return table


def _property_text(value) -> str | None:
    """A GeoJSON property as the text a CSV cell would hold (objects as JSON; NaN and infinity as missing)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (dict, list)):
        try:
            return json.dumps(value, ensure_ascii=False, allow_nan=False)
        except ValueError:
            return None
    return str(value)


def read_ogr(path: Path, name: str) -> RawTable:
    target = path
    if path.is_dir():
        shps = sorted(path.glob("*.shp"))
        if len(shps) != 1:
            raise ImportRefused(because("shapefile_folder", file=str(path), n=len(shps)))
        target = shps[0]
    try:
        import pyogrio

        with warnings.catch_warnings():  # GDAL's warnings would print before the message
            warnings.simplefilter("ignore")
            layers = pyogrio.list_layers(target)
            if len(layers) > 1:
                raise ImportRefused(because("many_layers", file=name, n=len(layers),
                                            layers=tuple(str(n) for n in layers[:, 0])))
            info = pyogrio.read_info(target)
        features = info.get("features", 0)
    except ImportRefused:
        raise
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise ImportRefused(because("bad_spatial", file=name, detail=short_error(exc))) from exc
    if features is not None and features > limit("SAFEGRID_MAX_ROWS"):
        raise ImportRefused(because("too_many_features", file=name, n=features, most=limit("SAFEGRID_MAX_ROWS")))
    check_cells(features or 0, len(info.get("fields", [])) + 1, name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gdf = gpd.read_file(target)
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise ImportRefused(because("bad_spatial", file=name, detail=short_error(exc))) from exc
    if gdf.empty:
        raise ImportRefused(because("no_features_layer", file=name))
    file_crs = None
    if gdf.crs is not None:
        epsg = gdf.crs.to_epsg()
        file_crs = f"EPSG:{epsg}" if epsg else gdf.crs.to_wkt()
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    frame = frame.map(lambda v: None if v is None or (not isinstance(v, str) and pd.isna(v))
                      or (isinstance(v, float) and not math.isfinite(v)) else (v if isinstance(v, str) else str(v)))
    check_header(frame, name)
    geometry = gpd.GeoSeries(gdf.geometry.values, index=frame.index)
    return RawTable(frame, geometry, file_crs, pd.Series(frame.index + 1, index=frame.index), "feature")
