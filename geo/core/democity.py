"""A believable fictional county, generated from a recipe and a seed (pure computation).

The same recipe, seed, scale and end date always give the same city. Geometry is built
in metres (the county's UTM zone) and returned in WGS 84. Shapes: ~1,000 Voronoi grid
cells (denser in the town), grouped into ~40 communities and 6 streets by k-means, so
every level nests exactly. Incidents follow daily, weekly and seasonal rhythms with a
year-on-year decline, cluster around the key places each category is drawn to, and a
few places heat up or cool down over the years (emerging and fading hot spots). The town's
buildings (``geo.core.demostreets``) and the cameras' resolutions come from a second generator
seeded by the same seed, so adding them left every other layer as it was.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.cluster.vq import kmeans2

from geo.core.crs import STORAGE_CRS, utm_epsg_for
from geo.core.demostreets import town_buildings

N_CELLS = 1000
N_COMMUNITIES = 40
N_INCIDENTS = 150_000
N_CAMERAS = 1500
N_LEDGER = 2000
N_ZONES = 12
YEARS = 3
YEARLY_DECLINE = 0.08  # incidents fall 8 % a year
WEEKDAY_FACTOR = np.array([0.95, 0.93, 0.95, 0.98, 1.10, 1.16, 1.05])  # Monday first
LEDGER_STATUSES = ("reported", "assigned", "rectifying", "rectified", "verified", "cancelled")
RESOLUTIONS_H = (1280, 1920, 2560, 3840)  # cameras' horizontal pixels, and how common each is
RESOLUTION_SHARES = (0.2, 0.45, 0.2, 0.15)
RESOLUTION_UNKNOWN = 0.1  # share of cameras whose register gives no resolution
SECOND_STREAM = 21  # the second generator's seed is (seed, this)


@dataclass
class DemoCity:
    areas: dict[str, gpd.GeoDataFrame]  # level -> code, name, name_en, parent, population, team, geometry
    places: pd.DataFrame
    incidents: pd.DataFrame  # occurred_at is local (naive) time
    cameras: pd.DataFrame
    zones: gpd.GeoDataFrame
    ledger: pd.DataFrame
    buildings: gpd.GeoDataFrame  # source_id, geometry (polygons, WGS 84)


def generate_city(recipe: dict, seed: int, end: dt.date, scale: float = 1.0) -> DemoCity:
    """Generate the county described by ``recipe``; incidents run for 3 years to ``end``."""
    rng = np.random.default_rng(seed)
    county = recipe["county"]
    crs_m = f"EPSG:{utm_epsg_for(county['lon'], county['lat'])}"
    centre = gpd.GeoSeries(shapely.points([county["lon"]], [county["lat"]]), crs=STORAGE_CRS).to_crs(crs_m).iloc[0]
    cx, cy = centre.x, centre.y
    boundary = _blob(rng, cx, cy, county["radius_m"])
    cells, cell_centres = _cells(rng, boundary, cx, cy, county["radius_m"])
    comm_of_cell = _cluster(rng, cell_centres, N_COMMUNITIES)
    comm_centres = np.array([cell_centres[comm_of_cell == k].mean(axis=0) for k in range(N_COMMUNITIES)])
    street_of_comm = _cluster(rng, comm_centres, len(recipe["streets"]))
    # Order streets and communities by angle/distance so codes read naturally.
    street_order = np.argsort(np.arctan2(*(np.array([comm_centres[street_of_comm == s].mean(axis=0)
                                                     for s in range(len(recipe["streets"]))]) - [cx, cy]).T[::-1]))
    street_rank = np.empty_like(street_order)
    street_rank[street_order] = np.arange(len(street_order))
    street_of_comm = street_rank[street_of_comm]

    dist_centre = np.hypot(cell_centres[:, 0] - cx, cell_centres[:, 1] - cy)
    density = 9000.0 * np.exp(-dist_centre / 2500.0) + 250.0  # residents per km²
    cell_area = shapely.area(cells) / 1e6
    cell_pop = rng.poisson(density * cell_area)

    names = _community_names(rng, recipe, N_COMMUNITIES)
    code = county["code"]
    rows = {lv: [] for lv in ("district", "street", "community", "grid")}
    rows["district"].append(dict(code=code, name=county["name"], name_en=county["name_en"], parent=None,
                                 population=int(cell_pop.sum()), team=None, geometry=boundary))
    comm_codes = {}
    for s, (s_name, s_en) in enumerate(recipe["streets"]):
        s_code = f"{code}{s + 1:02d}"
        comms = np.flatnonzero(street_of_comm == s)
        comms = comms[np.argsort(np.hypot(*(comm_centres[comms] - [cx, cy]).T))]
        s_geom = shapely.union_all(cells[np.isin(comm_of_cell, comms)])
        rows["street"].append(dict(code=s_code, name=s_name, name_en=s_en, parent=code,
                                   population=int(cell_pop[np.isin(comm_of_cell, comms)].sum()), team=None,
                                   geometry=s_geom))
        for j, k in enumerate(comms):
            c_code = f"{s_code}{j + 1:02d}"
            comm_codes[k] = c_code
            urban = np.hypot(*(comm_centres[k] - [cx, cy])) < 4500
            (zh, en) = names[k]
            suffix = recipe["name_parts"]["urban_suffix" if urban else "rural_suffix"]
            in_comm = np.flatnonzero(comm_of_cell == k)
            rows["community"].append(dict(code=c_code, name=zh + suffix[0], name_en=f"{en} {suffix[1]}",
                                          parent=s_code, population=int(cell_pop[in_comm].sum()), team=None,
                                          geometry=shapely.union_all(cells[in_comm])))
            for n, i in enumerate(in_comm[np.lexsort((cell_centres[in_comm, 0], -cell_centres[in_comm, 1]))]):
                rows["grid"].append(dict(code=f"{c_code}{n + 1:03d}", name=f"{zh}{suffix[0]}第{n + 1}网格",
                                         name_en=f"{en} {suffix[1]} grid {n + 1}", parent=c_code,
                                         population=int(cell_pop[i]), team=f"{zh}{suffix[0]}网格{n + 1}组",
                                         geometry=cells[i], _i=i))
    areas = {}
    for level, items in rows.items():
        frame = gpd.GeoDataFrame(pd.DataFrame(items), geometry="geometry", crs=crs_m)
        areas[level] = frame.to_crs(STORAGE_CRS)
    cell_index = areas["grid"].pop("_i").to_numpy()

    places = _places(rng, recipe, boundary, cx, cy, crs_m)
    incidents = _incidents(rng, recipe, places, cells[cell_index], cell_pop[cell_index], areas, end, scale, crs_m)
    cameras = _cameras(rng, recipe, places, boundary, cx, cy, end, crs_m)
    zones = _zones(rng, recipe, cells[cell_index], cell_pop[cell_index], crs_m)
    ledger = _ledger(rng, recipe, cells[cell_index], cell_pop[cell_index], end, crs_m)
    more = np.random.default_rng([seed, SECOND_STREAM])
    known = more.uniform(size=len(cameras)) >= RESOLUTION_UNKNOWN
    cameras["resolution_h"] = np.where(known, more.choice(RESOLUTIONS_H, len(cameras), p=RESOLUTION_SHARES), np.nan)
    buildings = _buildings(more, cx, cy, cameras, places, crs_m)
    return DemoCity(areas, _to_lonlat(places, crs_m), incidents, cameras, zones, ledger, buildings)


def _buildings(rng, cx, cy, cameras, places, crs_m):
    """The town's footprints in WGS 84, clear of the cameras (where they are stored) and the places."""
    at = gpd.GeoSeries(shapely.points(cameras["x"], cameras["y"]), crs=STORAGE_CRS).to_crs(crs_m)
    shapes = town_buildings(rng, cx, cy, np.column_stack([at.x, at.y]), places[["x", "y"]].to_numpy())
    return gpd.GeoDataFrame({"source_id": [f"JZ{i + 1:05d}" for i in range(len(shapes))]},
                            geometry=shapes, crs=crs_m).to_crs(STORAGE_CRS)


def _blob(rng, cx, cy, radius):
    angles = np.linspace(0, 2 * np.pi, 256, endpoint=False)
    r = radius * (1 + 0.12 * np.sin(3 * angles + rng.uniform(0, 6)) + 0.07 * np.sin(5 * angles + rng.uniform(0, 6))
                  + 0.04 * np.sin(9 * angles + rng.uniform(0, 6)))
    return shapely.Polygon(np.column_stack([cx + r * np.cos(angles), cy + 0.8 * r * np.sin(angles)]))


def _sample_in(rng, polygon, n, weight_fn=None):
    minx, miny, maxx, maxy = polygon.bounds
    out = np.empty((0, 2))
    shapely.prepare(polygon)
    while len(out) < n:
        pts = np.column_stack([rng.uniform(minx, maxx, 4 * n), rng.uniform(miny, maxy, 4 * n)])
        keep = shapely.contains_xy(polygon, pts[:, 0], pts[:, 1])
        if weight_fn is not None:
            keep &= rng.uniform(size=len(pts)) < weight_fn(pts)
        out = np.vstack([out, pts[keep]])
    return out[:n]


def _cells(rng, boundary, cx, cy, radius):
    dense = lambda p: 0.25 + 0.75 * np.exp(-np.hypot(p[:, 0] - cx, p[:, 1] - cy) / (0.35 * radius))  # noqa: E731
    seeds = _sample_in(rng, boundary, N_CELLS, dense)
    for _ in range(2):  # Lloyd relaxation: irregular but not spiky
        cells = _voronoi(seeds, boundary)
        seeds = np.column_stack([shapely.get_x(shapely.centroid(cells)), shapely.get_y(shapely.centroid(cells))])
    cells = _voronoi(seeds, boundary)
    centres = np.column_stack([shapely.get_x(shapely.centroid(cells)), shapely.get_y(shapely.centroid(cells))])
    return cells, centres


def _voronoi(seeds, boundary):
    regions = shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=boundary)
    polys = np.array(list(regions.geoms), dtype=object)
    # voronoi_polygons does not keep input order: match each region to its seed.
    idx = shapely.STRtree(polys).query(shapely.points(seeds), predicate="within")
    order = np.empty(len(seeds), dtype=int)
    order[idx[0]] = idx[1]
    clipped = shapely.intersection(polys[order], boundary)
    return np.array([g if g.geom_type == "Polygon" else max(g.geoms, key=lambda p: p.area) for g in clipped],
                    dtype=object)


def _cluster(rng, points, k):
    _, labels = kmeans2(points, k, seed=rng, minit="++", iter=50)
    # kmeans2 may leave a cluster empty; give it the point furthest from its centre.
    for c in range(k):
        if not (labels == c).any():
            labels[rng.integers(len(points))] = c
    return labels


def _community_names(rng, recipe, n):
    first = recipe["name_parts"]["first"]
    second = recipe["name_parts"]["second"]
    pairs = [(a, b) for a in first for b in second]
    pick = rng.choice(len(pairs), n, replace=False)
    return [(pairs[i][0][0] + pairs[i][1][0], pairs[i][0][1] + pairs[i][1][1]) for i in pick]


def _places(rng, recipe, boundary, cx, cy, crs_m):
    rows = []
    near = lambda p: 0.15 + 0.85 * np.exp(-np.hypot(p[:, 0] - cx, p[:, 1] - cy) / 3000.0)  # noqa: E731
    n = 0
    for kind, spec in recipe["places"].items():
        pts = _sample_in(rng, boundary, spec["count"], near)
        for j, (x, y) in enumerate(pts):
            n += 1
            rows.append(dict(source_id=f"P{n:04d}", kind=kind, name=f"{spec['name'][0]}{j + 1}号",
                             name_en=f"{spec['name'][1]} {j + 1}", required_pct=spec["required_pct"], x=x, y=y,
                             pull=rng.lognormal(0, 0.8)))
    frame = pd.DataFrame(rows)
    # A few places heat up, a few cool down over the three years (emerging / fading hot spots).
    frame["trend"] = 0.0
    hot = rng.choice(len(frame), 6, replace=False)
    frame.loc[frame.index[hot[:3]], "trend"] = 1.5
    frame.loc[frame.index[hot[3:]], "trend"] = -0.8
    return frame


def _incidents(rng, recipe, places, cells, cell_pop, areas, end, scale, crs_m):
    start = end - dt.timedelta(days=365 * YEARS)
    days = pd.date_range(start + dt.timedelta(days=1), end, freq="D")
    t = np.arange(len(days)) / 365.0  # years since start
    season = 1 + 0.18 * np.sin(2 * np.pi * (days.day_of_year.to_numpy() - 100) / 365.0)
    trend = (1 - YEARLY_DECLINE) ** t
    rate = season * trend * WEEKDAY_FACTOR[days.day_of_week.to_numpy()]
    rate = rate / rate.sum() * N_INCIDENTS * scale
    per_day = rng.poisson(rate)
    day_idx = np.repeat(np.arange(len(days)), per_day)
    n = len(day_idx)
    cats = list(recipe["categories"])
    shares = np.array([recipe["categories"][c]["share"] for c in cats])
    cat_idx = rng.choice(len(cats), n, p=shares / shares.sum())
    hours = np.empty(n, dtype=int)
    xs = np.empty(n)
    ys = np.empty(n)
    address = np.empty(n, dtype=object)
    cell_cent = np.column_stack([shapely.get_x(shapely.centroid(cells)), shapely.get_y(shapely.centroid(cells))])
    cell_radius = np.sqrt(shapely.area(cells) / np.pi)
    grid = areas["grid"]
    comm_name = dict(zip(areas["community"]["code"], areas["community"]["name"]))
    cell_comm = np.array([comm_name[p] for p in grid["parent"]], dtype=object)
    for c, cat in enumerate(cats):
        spec = recipe["categories"][cat]
        mine = np.flatnonzero(cat_idx == c)
        prof = np.array(spec["hours"], dtype=float)
        hours[mine] = rng.choice(24, len(mine), p=prof / prof.sum())
        at_place = rng.uniform(size=len(mine)) < spec["hotspot"]
        cand = places[places["kind"].isin(spec["kinds"])]
        hp = mine[at_place]
        if len(hp) and len(cand):
            w = cand["pull"].to_numpy()[None, :] * np.exp(cand["trend"].to_numpy()[None, :] * (t[day_idx[hp]][:, None] - 1.5))
            w = w / w.sum(axis=1, keepdims=True)
            choice = (w.cumsum(axis=1) > rng.uniform(size=(len(hp), 1))).argmax(axis=1)
            sigma = rng.uniform(60, 220, len(cand))[choice]
            xs[hp] = cand["x"].to_numpy()[choice] + rng.normal(0, 1, len(hp)) * sigma
            ys[hp] = cand["y"].to_numpy()[choice] + rng.normal(0, 1, len(hp)) * sigma
            address[hp] = cand["name"].to_numpy()[choice] + "附近"
        bg = mine[~at_place]
        if len(bg):
            w = cell_pop / cell_pop.sum()
            cell = rng.choice(len(cells), len(bg), p=w)
            r = cell_radius[cell] * np.sqrt(rng.uniform(size=len(bg))) * 0.8
            a = rng.uniform(0, 2 * np.pi, len(bg))
            xs[bg] = cell_cent[cell, 0] + r * np.cos(a)
            ys[bg] = cell_cent[cell, 1] + r * np.sin(a)
            address[bg] = cell_comm[cell]
    minutes = rng.integers(0, 60, n)
    seconds = rng.integers(0, 60, n)
    local = (days.to_numpy()[day_idx] + hours.astype("timedelta64[h]") + minutes.astype("timedelta64[m]")
             + seconds.astype("timedelta64[s]"))
    order = np.argsort(local, kind="stable")
    lon, lat = _lonlat(xs[order], ys[order], crs_m)
    return pd.DataFrame({
        "source_id": [f"JQ{i + 1:07d}" for i in range(n)],
        "occurred_at": pd.to_datetime(local[order]),
        "x": lon.round(6), "y": lat.round(6),
        "category": np.array(cats, dtype=object)[cat_idx[order]],
        "subcategory": np.array([recipe["categories"][c]["name"] for c in cats], dtype=object)[cat_idx[order]],
        "address": address[order],
        "status": "closed",
    })


def _cameras(rng, recipe, places, boundary, cx, cy, end, crs_m):
    n_near = int(N_CAMERAS * 0.6)
    pick = rng.choice(len(places), n_near, p=places["pull"] / places["pull"].sum())
    dist = rng.uniform(10, 150, n_near)
    ang = rng.uniform(0, 2 * np.pi, n_near)
    near = np.column_stack([places["x"].to_numpy()[pick] + dist * np.cos(ang),
                            places["y"].to_numpy()[pick] + dist * np.sin(ang)])
    far = _sample_in(rng, boundary, N_CAMERAS - n_near,
                     lambda p: 0.2 + 0.8 * np.exp(-np.hypot(p[:, 0] - cx, p[:, 1] - cy) / 3500.0))
    pts = np.vstack([near, far])
    fov = rng.choice([60.0, 90.0, 360.0], N_CAMERAS, p=[0.3, 0.4, 0.3])
    rng_m = np.where(fov == 360.0, rng.choice([30.0, 40.0], N_CAMERAS), rng.choice([40.0, 60.0, 80.0], N_CAMERAS))
    status = rng.choice(["online", "offline", "planned"], N_CAMERAS, p=[0.9, 0.07, 0.03])
    owners = recipe["camera_owners"]
    installed = [end - dt.timedelta(days=int(d)) for d in rng.integers(30, 6 * 365, N_CAMERAS)]
    lon, lat = _lonlat(pts[:, 0], pts[:, 1], crs_m)
    heading = rng.uniform(0, 360, N_CAMERAS).round(0)
    # a fixed camera put up near a key place looks at it (a school gate, a bank door)
    to_place = np.degrees(np.arctan2(-np.cos(ang), -np.sin(ang))) % 360
    heading[:n_near] = to_place.round(0)
    return pd.DataFrame({
        "source_id": [f"SXT{i + 1:05d}" for i in range(N_CAMERAS)],
        "x": lon.round(6), "y": lat.round(6),
        "heading": np.where(fov == 360.0, np.nan, heading),
        "fov": fov, "range_m": rng_m,
        "kind": np.where(fov == 360.0, "球机 dome", "枪机 fixed"),
        "status": status,
        "owner": [owners[i][0] for i in rng.choice(len(owners), N_CAMERAS, p=[0.5, 0.25, 0.15, 0.1])],
        "installed_on": [None if s == "planned" else d.isoformat() for s, d in zip(status, installed)],
    })


def _zones(rng, recipe, cells, cell_pop, crs_m):
    centres = np.column_stack([shapely.get_x(shapely.centroid(cells)), shapely.get_y(shapely.centroid(cells))])
    labels = _cluster(rng, centres, N_ZONES)
    rows = []
    for z in range(N_ZONES):
        geom = shapely.union_all(cells[labels == z])
        team = recipe["zone_teams"][z % len(recipe["zone_teams"])]
        rows.append(dict(code=f"PZ{z + 1:02d}", name=f"第{z + 1}巡区", name_en=f"Patrol zone {z + 1}",
                         team=team, shift=("三班倒" if z % 3 else "两班倒"), staff=int(rng.integers(6, 14)),
                         geometry=geom))
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=crs_m).to_crs(STORAGE_CRS)


def _ledger(rng, recipe, cells, cell_pop, end, crs_m):
    kinds = ["hazard", "dispute", "security_gap"]
    kind = rng.choice(kinds, N_LEDGER, p=[0.5, 0.3, 0.2])
    age = rng.integers(0, 730, N_LEDGER)
    found = np.array([end - dt.timedelta(days=int(a)) for a in age])
    allowed = rng.choice([7, 15, 30, 60], N_LEDGER, p=[0.2, 0.4, 0.3, 0.1])
    deadline = np.array([f + dt.timedelta(days=int(d)) for f, d in zip(found, allowed)])
    # Older items are mostly closed; recent ones open; some open ones are past their deadline.
    closed_p = np.clip(age / 240.0, 0.05, 0.92)
    closed = rng.uniform(size=N_LEDGER) < closed_p
    status = np.where(closed, rng.choice(["verified", "rectified", "cancelled"], N_LEDGER, p=[0.75, 0.2, 0.05]),
                      rng.choice(["reported", "assigned", "rectifying"], N_LEDGER, p=[0.3, 0.3, 0.4]))
    cell = rng.choice(len(cells), N_LEDGER, p=cell_pop / cell_pop.sum())
    cent = np.column_stack([shapely.get_x(shapely.centroid(cells)), shapely.get_y(shapely.centroid(cells))])
    r = np.sqrt(shapely.area(cells) / np.pi)[cell] * np.sqrt(rng.uniform(size=N_LEDGER)) * 0.7
    a = rng.uniform(0, 2 * np.pi, N_LEDGER)
    lon, lat = _lonlat(cent[cell, 0] + r * np.cos(a), cent[cell, 1] + r * np.sin(a), crs_m)
    titles, cats = [], []
    for k in kind:
        title, cat = recipe["ledger"][k][rng.integers(len(recipe["ledger"][k]))]
        titles.append(title)
        cats.append(cat)
    units = recipe["ledger"]["units"]
    return pd.DataFrame({
        "source_id": [f"TZ{i + 1:05d}" for i in range(N_LEDGER)],
        "kind": kind, "category": cats, "title": titles,
        "description": [f"{t}，需限期整改。" for t in titles],
        "responsible_unit": [units[i] for i in rng.integers(0, len(units), N_LEDGER)],
        "found_on": [f.isoformat() for f in found], "deadline": [d.isoformat() for d in deadline],
        "status": status, "x": lon.round(6), "y": lat.round(6),
    })


def _lonlat(x, y, crs_m):
    pts = gpd.GeoSeries(shapely.points(x, y), crs=crs_m).to_crs(STORAGE_CRS)
    return pts.x.to_numpy(), pts.y.to_numpy()


def _to_lonlat(places, crs_m):
    lon, lat = _lonlat(places["x"].to_numpy(), places["y"].to_numpy(), crs_m)
    return places.assign(x=lon.round(6), y=lat.round(6)).drop(columns=["pull", "trend"])
