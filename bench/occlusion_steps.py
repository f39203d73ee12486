"""The occlusion steps of the coverage benchmark: exact visibility polygons for many cameras among many
buildings, in the core and through the store's per-camera cache, beside a per-camera loop."""

from __future__ import annotations

import tempfile
import time
import uuid
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from bench.occlusion_scene import town
from geo.core import dori, visibility
from geo.core.coverage import sectors

ORIGIN = (600_000.0, 3_100_000.0)  # the town's corner in UTM 49N, near the demo county
CRS = "EPSG:32649"
SIZES = {"full": dict(buildings=50_000, cameras=10_000, loop=300), "smoke": dict(buildings=2_000, cameras=400, loop=40)}


def _t(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def loop_visible(x, y, views, buildings, tree) -> np.ndarray:
    """What a user would write: per camera, each nearby building's shadow as the convex hull of the
    building and a far copy of it scaled away from the camera, their union cut from the view (exact
    for convex footprints only)."""
    out = []
    for k in range(len(x)):
        cam = shapely.Point(x[k], y[k])
        shadows = []
        for j in tree.query(views[k], predicate="intersects"):
            b = buildings[j]
            if b.contains(cam):
                continue
            factor = 3.0 * max(views[k].bounds[2] - x[k], 1.0) / max(b.distance(cam), 0.5)
            far = shapely.affinity.scale(b, xfact=factor, yfact=factor, origin=cam)
            shadows.append(shapely.union(b, far).convex_hull)
        out.append(views[k].difference(shapely.union_all(shadows)) if shadows else views[k])
    return np.array(out, dtype=object)


def rows(smoke: bool, rng: np.random.Generator) -> list[tuple]:
    size = SIZES["smoke" if smoke else "full"]
    scene = town(rng, size["buildings"], size["cameras"])
    b = shapely.transform(scene["buildings"], lambda c: c + np.array(ORIGIN))
    x, y = scene["x"] + ORIGIN[0], scene["y"] + ORIGIN[1]
    n, nb = len(x), len(b)
    out = []
    t_s, views = _t(lambda: sectors(x, y, scene["heading"], scene["fov"], scene["range_m"]))
    t_p, built = _t(lambda: visibility.prepare(b))
    out.append(("occlusion: prepare buildings", f"{nb:,} buildings", t_p, None))
    t_1, shadows = _t(lambda: visibility.shadow_unions(x, y, views, built, threads=1))
    out.append(("occlusion: shadows, 1 thread", f"{n:,} cameras", t_1, None))
    t_2, shadows2 = _t(lambda: visibility.shadow_unions(x, y, views, built, threads=2))
    out.append(("occlusion: shadows, 2 threads", "same shadows" if all(
        (a is None and c is None) or a.equals(c) for a, c in zip(shadows, shadows2)) else "DIFFERENT", t_2, None))
    t_v, seen = _t(lambda: visibility.visible(views, shadows2))
    out.append(("occlusion: visible = view - shadows", f"{shapely.area(seen).sum() / shapely.area(views).sum():.1%} "
                "of views seen", t_v, None))
    level_m = dori.distances(scene["resolution_h"], scene["fov"], scene["range_m"])

    def bands():
        got = []
        for k in range(len(dori.LEVELS)):
            some = level_m[:, k] > 0
            got.append(visibility.visible(sectors(x[some], y[some], scene["heading"][some], scene["fov"][some],
                                                  level_m[some, k]), shadows2[some]))
        return got

    t_b, _ = _t(bands)
    out.append(("occlusion: 4 DORI bands", f"{int((level_m > 0).sum()):,} level views", t_b, None))
    total = t_s + t_p + t_2 + t_v + t_b
    out.append(("occlusion: all, 2 threads", f"{n:,} x {nb:,}", total, 30.0))
    m = size["loop"]
    t_l, theirs = _t(lambda: loop_visible(x[:m], y[:m], views[:m], b, shapely.STRtree(b)))
    per_cam_ours = (t_s + t_p + t_1 + t_v) / n
    diff = np.abs(shapely.area(theirs) - shapely.area(seen[:m])).max()
    out.append((f"  baseline: per-camera loop ({m})", f"{t_l / m / per_cam_ours:.0f}x SafeGrid/camera, "
                f"max diff {diff:.1f} m2", t_l / m * n, None))
    out.extend(_store_rows(scene, b, x, y))
    return out


def _store_rows(scene: dict, b: np.ndarray, x: np.ndarray, y: np.ndarray) -> list[tuple]:
    """Through ``geo.store.views`` on a SQLite file: cold (reads the buildings), warm (the cache), one
    what-if camera more, and cold again after the buildings' stamp changes."""
    from geo.store import views
    from geo.store.engine import make_engine
    from geo.store.models import Building, Setting
    from geo.store.schema import init_db

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'occlusion.sqlite'}")
        init_db(engine, "Asia/Shanghai")
        wgs = gpd.GeoSeries(b, crs=CRS).to_crs(4326).values
        box = shapely.bounds(wgs)
        with engine.begin() as conn:
            conn.execute(Building.__table__.insert(), [
                dict(source="bench", source_id=str(i), row_hash=i, lon_min=r[0], lat_min=r[1], lon_max=r[2],
                     lat_max=r[3], geom=shapely.MultiPolygon([g])) for i, (g, r) in enumerate(zip(wgs, box))])
            conn.execute(Setting.__table__.insert().values(key=views.STAMP_KEY, value=uuid.uuid4().hex))
        cams = gpd.GeoDataFrame({k: scene[k] for k in ("heading", "fov", "range_m", "resolution_h")},
                                geometry=gpd.GeoSeries(shapely.points(x, y), crs=CRS).to_crs(4326), crs=4326)
        views.clear_cache()
        out = []
        with engine.connect() as conn:
            t_c, _ = _t(lambda: views.camera_views(conn, cams, CRS))
            out.append(("store views, cold (reads buildings)", f"{len(cams):,} cameras", t_c, 30.0))
            t_w, _ = _t(lambda: views.camera_views(conn, cams, CRS))
            out.append(("store views, cached", f"{t_c / t_w:.0f}x faster", t_w, None))
            more = cams.iloc[:1].assign(heading=cams["heading"].iloc[0] + 17.0)
            t_a, _ = _t(lambda: views.camera_views(conn, gpd.GeoDataFrame(
                gpd.pd.concat([cams, more], ignore_index=True), crs=4326), CRS))
            out.append(("store views, one what-if camera more", "one new view", t_a, None))
        with engine.begin() as conn:
            conn.execute(Setting.__table__.update().where(Setting.key == views.STAMP_KEY).values(value="changed"))
        with engine.connect() as conn:
            t_n, _ = _t(lambda: views.camera_views(conn, cams, CRS))
            out.append(("store views, buildings changed", "recomputed", t_n, None))
        engine.dispose()
        return out
