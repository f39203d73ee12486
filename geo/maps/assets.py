"""Map assets served by the app itself: Leaflet from the npm registry, never a CDN.

``python -m geo.maps.assets install`` unpacks the pinned packages into ``static/vendor``
(git-ignored), which Streamlit serves at ``/app/static/vendor/...``. Maps built by
:func:`geo.maps.base.new_map` point folium (and streamlit-folium) at those files only.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parents[2] / "static"
VENDOR_DIR = STATIC_DIR / "vendor"
URL_PREFIX = "/app/static/vendor"
# npm package -> (version, files to keep from its "package/" folder, folder under vendor/)
PACKAGES = {
    "leaflet": ("1.9.4", ("dist/leaflet.js", "dist/leaflet.css", "dist/images"), "leaflet"),
    "leaflet.fullscreen": ("3.0.0", ("Control.FullScreen.js", "Control.FullScreen.css", "icon-fullscreen.svg"),
                           "leaflet.fullscreen"),
    "leaflet-draw": ("1.0.4", ("dist/leaflet.draw.js", "dist/leaflet.draw.css", "dist/images"), "leaflet-draw"),
}


def asset_url(package: str, name: str) -> str:
    return f"{URL_PREFIX}/{PACKAGES[package][2]}/{name}"


LEAFLET_JS = [("leaflet", asset_url("leaflet", "leaflet.js"))]
LEAFLET_CSS = [("leaflet_css", asset_url("leaflet", "leaflet.css"))]
FULLSCREEN_JS = [("Control.Fullscreen.js", asset_url("leaflet.fullscreen", "Control.FullScreen.js"))]
FULLSCREEN_CSS = [("Control.FullScreen.css", asset_url("leaflet.fullscreen", "Control.FullScreen.css"))]
DRAW_JS = [("leaflet_draw_js", asset_url("leaflet-draw", "leaflet.draw.js"))]
DRAW_CSS = [("leaflet_draw_css", asset_url("leaflet-draw", "leaflet.draw.css"))]


def installed() -> bool:
    return all((VENDOR_DIR / folder / Path(files[0]).name).exists() for _, files, folder in PACKAGES.values())


def install(force: bool = False) -> None:
    """Fetch each pinned package with ``npm pack`` and unpack the files the maps use."""
    for name, (version, files, folder) in PACKAGES.items():
        dest = VENDOR_DIR / folder
        marker = dest / f".version-{version}"
        if marker.exists() and not force:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(["npm", "pack", f"{name}@{version}", "--silent", "--pack-destination", tmp],
                           check=True, stdout=subprocess.DEVNULL)
            archive = next(Path(tmp).glob("*.tgz"))
            with tarfile.open(archive) as tar:
                tar.extractall(tmp, filter="data")
            if dest.exists():
                shutil.rmtree(dest)
            dest.mkdir(parents=True)
            for item in files:
                src = Path(tmp) / "package" / item
                target = dest / Path(item).name
                if src.is_dir():
                    shutil.copytree(src, target)
                else:
                    shutil.copy2(src, target)
        marker.touch()
        print(f"map assets: {name} {version} -> {dest.relative_to(STATIC_DIR.parent)}")


if __name__ == "__main__":
    if sys.argv[1:] == ["install"]:
        install()
    elif sys.argv[1:] == ["check"]:
        sys.exit(0 if installed() else 1)
    else:
        print("usage: python -m geo.maps.assets install|check", file=sys.stderr)
        sys.exit(2)
