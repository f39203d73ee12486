"""Re-assigning area codes to every coded record after the areas change."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import text
from sqlalchemy.engine import Connection

from geo.store.areas import CODE_COLUMNS, AreaIndex
from geo.store.models import CODED_TABLES
from geo.store.rollup import rebuild_daily
from geo.store.frames import to_frame

UPDATE_CHUNK = 50_000


def reassign_all(conn: Connection) -> dict[str, int]:
    """Recompute area codes of incidents, places, cameras and ledger items; rebuild the rollup.

    Runs inside the caller's transaction. Only rows whose codes change are written.
    Returns, per table, how many rows changed.
    """
    index = AreaIndex.load(conn)
    cols = list(CODE_COLUMNS.values())
    changed = {}
    for table in CODED_TABLES:
        frame = to_frame(conn.execute(text(f"SELECT id, geom, {', '.join(cols)} FROM {table}")))
        if frame.empty:
            changed[table] = 0
            continue
        raw = [bytes(v) if isinstance(v, memoryview) else v for v in frame["geom"]]
        points = shapely.from_wkb(np.array(raw, dtype=object))
        codes = index.assign(shapely.get_x(points), shapely.get_y(points))
        old = frame[cols].astype(object).where(frame[cols].notna(), None)
        diff = (old.fillna("\0").to_numpy() != codes.fillna("\0").to_numpy()).any(axis=1)
        updates = codes[diff].copy()
        updates["id"] = frame.loc[diff, "id"].to_numpy()
        records = [dict(zip(updates.columns, (None if pd.isna(v) else v for v in rec)))
                   for rec in updates.itertuples(index=False)]
        sql = text(f"UPDATE {table} SET " + ", ".join(f"{c} = :{c}" for c in cols) + " WHERE id = :id")
        for i in range(0, len(records), UPDATE_CHUNK):
            conn.execute(sql, records[i:i + UPDATE_CHUNK])
        changed[table] = int(diff.sum())
    if changed.get("incidents"):
        rebuild_daily(conn)
    return changed
