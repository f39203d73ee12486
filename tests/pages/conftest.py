"""Fixtures shared by the page tests."""

from __future__ import annotations

import pytest

from geo.ingest.demo import build_demo
from geo.store.engine import make_engine
from tests.conftest import ROOT, TODAY


@pytest.fixture(scope="module")
def ledger_url(tmp_path_factory):
    """A small demo city for the ledger page tests (its own file per test module)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('ledgerpage') / 'demo.sqlite'}"
    engine = make_engine(url)
    build_demo(engine, seed=12, scale=0.03, end=TODAY)
    engine.dispose()
    return url


@pytest.fixture
def env(monkeypatch, ledger_url):
    """The app pointed at the ledger demo; the engine to check the database with."""
    monkeypatch.setenv("DATABASE_URL", ledger_url)
    monkeypatch.chdir(ROOT)
    return make_engine(ledger_url)


@pytest.fixture
def offered(monkeypatch):
    """Every file a page offers for download during the test: {file name: [distinct bodies]}."""
    from streamlit.runtime.media_file_storage import MediaFileKind
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    files: dict[str, list[bytes]] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def keep(self, path_or_data, mimetype, kind, filename=None):
        if kind == MediaFileKind.DOWNLOADABLE:
            body = path_or_data.encode("utf-8") if isinstance(path_or_data, str) else bytes(path_or_data)
            bodies = files.setdefault(str(filename), [])
            if body not in bodies:
                bodies.append(body)
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", keep)
    return files
