// SafeGrid's map component: a folium map (base, outline, optional layers) plus a cell layer whose
// shapes arrive once per shape set and are kept by the page, and whose values arrive on every run.
// Written for the Streamlit component protocol (postMessage), with no build step and no CDN:
// Leaflet and its plugins come from the app's own static files, named in the folium header.
(function () {
  "use strict";

  const ROOT = document.getElementById("safegrid-root");
  const LEGEND = document.getElementById("safegrid-legend");
  const STAGE = document.getElementById("safegrid-stage");
  const PLAYBACK = document.getElementById("safegrid-playback");
  const KEEP_SETS = 6; // shape sets kept per browser tab (the Streamlit session lives as long)
  const FRAME = Math.random().toString(36).slice(2); // this frame's messages are told from an earlier one's

  function post(type, data) {
    window.parent.postMessage(Object.assign({ isStreamlitMessage: true, type: type }, data), "*");
  }
  function sendValue(value) { post("streamlit:setComponentValue", { value: value, dataType: "json" }); }

  // Shape sets live in the Streamlit page (same origin), so they outlive this frame when a page
  // switch or a new key replaces it; the server's record of what was sent lives exactly as long.
  function shapeStore() {
    try {
      const top = window.parent;
      if (!top.__safegridShapes) top.__safegridShapes = new Map();
      return top.__safegridShapes;
    } catch (e) {
      if (!window.__safegridShapes) window.__safegridShapes = new Map();
      return window.__safegridShapes;
    }
  }

  function decodeShapes(enc) {
    // flat integer lists back into Leaflet's nested [lat, lng] rings (see geo/maps/cells.py)
    const out = [];
    const xy = enc.xy, s = enc.scale, ox = enc.origin[0], oy = enc.origin[1];
    let v = 0, r = 0, p = 0;
    for (let f = 0; f < enc.parts.length; f++) {
      const polygons = [];
      for (let k = 0; k < enc.parts[f]; k++, p++) {
        const rings = [];
        for (let j = 0; j < enc.polys[p]; j++, r++) {
          const n = enc.rings[r];
          const ring = new Array(n);
          let x = 0, y = 0;
          for (let i = 0; i < n; i++, v++) {
            x += xy[2 * v]; y += xy[2 * v + 1];
            ring[i] = [(y + oy) / s, (x + ox) / s];
          }
          rings.push(ring);
        }
        polygons.push(rings);
      }
      out.push(polygons);
    }
    return out;
  }

  const state = { docKey: null, map: null, layers: [], cellsKey: null, group: null, polys: [], control: null,
                  controlKey: null, cells: null, asked: 0, clicks: 0, hit: null,
                  timeline: null, stepFill: null, player: null };

  function escapeText(text) {
    const span = document.createElement("span");
    span.textContent = text;
    return span.innerHTML;
  }

  function loadScript(src) {
    return new Promise((resolve, reject) => {
      for (const s of document.scripts) if (s.getAttribute("src") === src) { resolve(); return; }
      const el = document.createElement("script");
      el.src = src;
      el.onload = () => resolve();
      el.onerror = () => reject(new Error("could not load " + src));
      document.head.appendChild(el);
    });
  }

  async function buildDocument(doc) {
    if (state.map) { state.map.remove(); state.map = null; }
    state.cellsKey = null; state.polys = []; state.group = null; state.control = null; state.controlKey = null;
    const head = document.createElement("template");
    head.innerHTML = doc.header;
    for (const node of Array.from(head.content.childNodes)) {
      if (node.nodeName === "SCRIPT") {
        if (node.src) await loadScript(node.getAttribute("src"));
        else (new Function(node.textContent))();
      } else if (node.nodeName === "LINK" || node.nodeName === "STYLE") {
        const same = Array.from(document.head.children).some(n => n.outerHTML === node.outerHTML);
        if (!same) document.head.appendChild(node);
      }
    }
    ROOT.innerHTML = doc.html;
    const names = doc.overlays.map(o => o[0]);
    const made = (new Function(doc.script + "\n;return [" + [doc.map].concat(names).join(",") + "];"))();
    state.map = made[0];
    state.layers = doc.overlays.map((o, i) => ({ layer: made[i + 1], name: o[1] }));
    window.map = state.map;
  }

  function shownValue(layer, field) {  // a playback's field is read at the step shown, when asked for
    const tl = state.timeline, props = layer.feature.properties;
    if (tl && state.player && field === tl.field) {
      return tl.values[state.player.step * tl.cells + layer._safegridIndex].toLocaleString("en-US");
    }
    return props[field] || "";
  }

  function tooltip(layer) {
    const rows = [];
    for (const [field, label] of state.cells.tips) {
      rows.push("<tr><th>" + escapeText(label) + "</th><td>" + escapeText(shownValue(layer, field)) + "</td></tr>");
    }
    return '<table class="safegrid-tip">' + rows.join("") + "</table>";
  }

  function styleOf(i) {
    const c = state.cells, props = state.polys[i].feature.properties, tl = state.timeline;
    return { fillColor: tl ? tl.colors[state.stepFill[i]] : c.palette[c.fill[i]], color: props._hl ? "#000000" : c.style.line,
             weight: props._hl ? 3.5 : c.style.weight, fillOpacity: c.style.opacity, fill: true, opacity: 1 };
  }

  function drawCells(set, cells) {
    if (state.group) { state.group.clearLayers(); state.map.removeLayer(state.group); }
    const group = L.featureGroup();
    const polys = new Array(set.shapes.length);
    const type = (parts) => (parts.length === 1 ? "Polygon" : "MultiPolygon");
    for (let i = 0; i < set.shapes.length; i++) {
      const parts = set.shapes[i];
      const poly = L.polygon(parts.length === 1 ? parts[0] : parts, { smoothFactor: 1.0 });
      const props = {};
      for (const name of Object.keys(set.props)) props[name] = set.props[name][i];
      poly.feature = { type: "Feature", properties: props, geometry: { type: type(parts) } };
      poly._safegridIndex = i;
      polys[i] = poly;
      group.addLayer(poly);
    }
    group.bindTooltip(tooltip, { sticky: false });
    group.on("mouseover", e => e.layer.setStyle({ weight: 3, color: "#000000" }));
    group.on("mouseout", e => e.layer.setStyle(styleOf(e.layer._safegridIndex)));
    group.on("click", e => {
      state.hit = { code: e.layer.feature.properties.code, at: e.originalEvent };
    });
    state.group = group; state.polys = polys; state.cellsKey = cells.key;
    group.addTo(state.map);
    for (const item of state.layers) {  // the folium layers (outlines, markers) stay above the cells
      if (item.layer && item.layer.bringToFront && state.map.hasLayer(item.layer)) item.layer.bringToFront();
    }
  }

  function applyValues(cells) {
    state.cells = cells;
    const fields = Object.keys(cells.values);
    for (let i = 0; i < state.polys.length; i++) {
      const props = state.polys[i].feature.properties;
      for (const name of fields) props[name] = cells.values[name][i];
      props._fill = cells.palette[cells.fill[i]];
      props._hl = cells.highlight !== null && props.code === cells.highlight;
      state.polys[i].setStyle(styleOf(i));
      if (props._hl) state.polys[i].bringToFront();
    }
  }

  // One step of a playback: each cell's count at the step, its class from the bounds shared by every
  // step, and a new fill only where the class changed (the canvas is redrawn once, at the next frame).
  function recolour(step) {
    const tl = state.timeline, polys = state.polys, n = tl.cells, base = step * n;
    const classOf = window.SafegridPlayback.classOf;
    for (let k = 0; k < polys.length; k++) {  // (the tooltip reads the value at the step: shownValue)
      const cls = classOf(tl.bins, tl.values[base + k]);
      if (state.stepFill[k] !== cls) {
        state.stepFill[k] = cls;
        polys[k].setStyle({ fillColor: tl.colors[cls] });
      }
    }
  }

  function playback(arg) {
    if (!arg) {
      if (state.player) { state.player.remove(); state.player = null; }
      state.timeline = null; state.stepFill = null;
      return;
    }
    const tl = window.SafegridPlayback.take(arg);
    if (!tl || tl.cells !== state.polys.length) return;
    state.timeline = tl;
    state.stepFill = new Int16Array(tl.cells).fill(-1);  // every cell is painted at the step
    if (!state.player) state.player = new window.SafegridPlayback.Player(PLAYBACK, recolour);
    state.player.load(tl, arg);
    recolour(state.player.step);
  }

  function layerControl(cells) {
    const key = cells.name + "\u0000" + state.layers.map(l => l.name).join("\u0000");
    if (state.controlKey === key) return;
    if (state.control) state.control.remove();
    const overlays = {};
    overlays[escapeText(cells.name)] = state.group;
    for (const item of state.layers) overlays[escapeText(item.name)] = item.layer;
    state.control = L.control.layers(null, overlays, { collapsed: true, position: "topright" }).addTo(state.map);
    state.controlKey = key;
  }

  function wireClicks() {
    let last = null;
    state.map.on("click", e => {
      if (e.originalEvent && e.originalEvent === last) return;  // one click, however it reached the map
      last = e.originalEvent;
      const hit = state.hit && state.hit.at === e.originalEvent ? state.hit.code : null;
      state.hit = null;
      sendValue({ code: hit, lat: e.latlng.lat, lng: e.latlng.lng, frame: FRAME, n: ++state.clicks });
    });
  }

  async function render(args) {
    const bar = args.playback ? window.SafegridPlayback.BAR_PX : 0;
    post("streamlit:setFrameHeight", { height: args.height + bar });
    STAGE.style.height = bar ? `calc(100% - ${bar}px)` : "100%";
    PLAYBACK.style.display = bar ? "block" : "none";
    const store = shapeStore(), cells = args.cells;
    if (args.shapes) {
      store.delete(cells.key);
      store.set(cells.key, { shapes: decodeShapes(args.shapes.shapes), props: args.shapes.props });
      while (store.size > KEEP_SETS) store.delete(store.keys().next().value);
    }
    const set = store.get(cells.key);
    if (!set) {  // this page has not kept the shape set: ask the server for it once
      sendValue({ need: cells.key, frame: FRAME, n: ++state.asked });
      return;
    }
    if (args.playback && !window.SafegridPlayback.take(args.playback)) {  // nor the playback's counts
      sendValue({ need: args.playback.key, frame: FRAME, n: ++state.asked });
      return;
    }
    if (state.docKey !== args.doc.key) {
      await buildDocument(args.doc);
      state.docKey = args.doc.key;
      if (args.clicks) wireClicks();
    }
    if (state.cellsKey !== cells.key) drawCells(set, cells);
    if (state.map && state.stageHeight !== STAGE.style.height) {
      state.stageHeight = STAGE.style.height;
      state.map.invalidateSize();
    }
    state.timeline = null;  // this run's fills first; the playback (when there is one) paints its step over them
    applyValues(cells);
    playback(args.playback);
    layerControl(cells);
    LEGEND.innerHTML = args.legend || "";
    window.__safegridRendered = (window.__safegridRendered || 0) + 1;
  }

  let latest = null, running = false;
  async function pump() {
    if (running) return;
    running = true;
    try {
      while (latest) {
        const args = latest;
        latest = null;
        try { await render(args); } catch (err) { console.error("safegrid map:", err); }
      }
    } finally { running = false; }
  }

  window.addEventListener("message", (event) => {
    if (event.data && event.data.type === "streamlit:render") { latest = event.data.args; pump(); }
  });
  post("streamlit:componentReady", { apiVersion: 1 });
})();
