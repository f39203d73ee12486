"""A map whose cells travel apart from the rest: :class:`CellMap`.

The rest is an ordinary folium map (base, outline, optional layers, overlays, extra legends),
rendered to its three parts (header, body, script) with element names made deterministic, so
the same map gives the same text on every run and the browser rebuilds it only when it really
changed. The cell layer (:mod:`geo.maps.cells`) and the measure's legend go beside it; the layer
control is made in the browser, where the cell layer joins the folium layers.
"""

from __future__ import annotations

import hashlib
import html
import json
from dataclasses import dataclass

import folium
from folium.map import Layer

from geo.maps.cells import CellLayer
from geo.maps.timeline import Timeline


def _elements(element):
    yield element
    for child in list(element._children.values()):
        yield from _elements(child)


def _stable_names(fmap: folium.Map) -> None:
    """Give every element of the map a name from its place in the tree instead of a random one."""
    for i, element in enumerate(_elements(fmap)):
        element._id = f"{i:04d}"


@dataclass
class CellMap:
    """``fmap`` (everything but the cells), the ``cells`` and the measure's ``legend`` (HTML, escaped);
    with a ``timeline``, the cells' counts per time step for playback in the browser."""

    fmap: folium.Map
    cells: CellLayer
    legend: str = ""
    timeline: Timeline | None = None

    def overlays(self) -> list[tuple[str, str, bool]]:
        """(script name, layer name as written, shown at first) of every folium layer in the layer control."""
        return [(child.get_name(), html.unescape(child.layer_name), bool(child.show))
                for child in self.fmap._children.values() if isinstance(child, Layer) and child.control]

    def document(self) -> dict:
        """The folium part as the browser receives it: header, body and script, the map's script
        name, the overlays, and a ``key`` that changes exactly when any of them does."""
        if getattr(self, "_doc", None) is None:
            self._doc = self._render()
        return self._doc

    def _render(self) -> dict:
        _stable_names(self.fmap)
        root = self.fmap.get_root()
        root.render()
        doc = {"header": root.header.render(), "html": root.html.render(), "script": root.script.render(),
               "map": self.fmap.get_name(), "overlays": [list(o) for o in self.overlays()]}
        doc["key"] = hashlib.sha256(json.dumps(doc, sort_keys=True).encode("utf-8")).hexdigest()[:24]
        return doc

    def text(self) -> str:
        """Everything the browser is given, as one text (for checks: no CDN, escaping, legends)."""
        doc = self.document()
        cells = {**self.cells.value_args(), **self.cells.shape_args()}
        return "\n".join([doc["header"], doc["html"], doc["script"], self.legend,
                          json.dumps(cells, ensure_ascii=False)])
