"""Wall screens of one scope share one snapshot read (``geo.ui.data.WALL_SHARED_S``); another scope reads
its own, and a ledger change drops the shared snapshot."""

from __future__ import annotations

from geo.ui import data
from tests.pages.common import run_page


def test_wall_screens_of_one_scope_share_a_snapshot_read(env, monkeypatch):
    reads: list[str | None] = []
    real = data.wall_view

    def counted(conn, scope, now, **settings):
        reads.append(scope.code)
        return real(conn, scope, now, **settings)

    monkeypatch.setattr(data, "wall_view", counted)
    # one sharing period for the whole test (its page runs take seconds; a 10 s period boundary between
    # two of them would make the second screen read again, as it should)
    monkeypatch.setattr(data, "WALL_SHARED_S", 10**9)
    data._wall_shared.clear()
    first = run_page("pages/wall.py", "en", "wall")
    second = run_page("pages/wall.py", "en", "wall")
    assert not first.exception and not second.exception
    assert reads == [None]  # the second screen was shown the first one's read
    street = run_page("pages/wall.py", "en", "leader.street1")
    assert not street.exception and len(reads) == 2 and reads[1] is not None  # its own scope, its own read
    tiles = ["\n".join(m.value for m in at.markdown if "wall-tiles" in m.value) for at in (first, second)]
    assert tiles[0] == tiles[1] and 'data-kpi="open"' in tiles[0]
    data.forget_ledger_counts()  # as after a ledger change
    run_page("pages/wall.py", "en", "wall")
    assert len(reads) == 3
