// Time playback for SafeGrid's map component (see geo/maps/timeline.py): the counts of every step
// arrive once and are kept by the page; a slider, a play button and a small chart of each step's total
// move through them here, in the browser, and the map is recoloured by cellmap.js through onStep(i).
// Nothing is sent to the server while playing.
window.SafegridPlayback = (function () {
  "use strict";

  const BAR_PX = 96;  // the control bar and chart under the map
  const KEEP = 6;     // playbacks kept per browser tab, as the server remembers having sent (mapview.py)

  function store() {  // in the Streamlit page (same origin): it outlives this frame, like the shape sets
    try {
      const top = window.parent;
      if (!top.__safegridTimelines) top.__safegridTimelines = new Map();
      return top.__safegridTimelines;
    } catch (e) {
      if (!window.__safegridTimelines) window.__safegridTimelines = new Map();
      return window.__safegridTimelines;
    }
  }

  function decode(data) {
    const text = atob(data.counts), bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    const Kind = { 1: Uint8Array, 2: Uint16Array, 4: Uint32Array }[data.width];
    const values = new Kind(bytes.buffer);  // little-endian, as every browser's typed arrays are in practice
    return { key: data.key, labels: data.labels, cells: data.cells, values: values, bins: data.bins,
             colors: data.colors, field: data.field, totals: data.totals };
  }

  // The playback named by ``arg`` (the component's ``playback`` argument), kept from its data when it
  // carries them; null when this page holds no such playback (then the server is asked for it).
  function take(arg) {
    const kept = store();
    if (arg.data) {
      kept.delete(arg.key);
      kept.set(arg.key, decode(arg.data));
      while (kept.size > KEEP) kept.delete(kept.keys().next().value);
    }
    return kept.get(arg.key) || null;
  }

  // A value's class: the first upper bound it does not pass (the last class above them all), as
  // numpy.searchsorted(bins, value, "left") clipped to the last class does in geo.core.timeline.
  function classOf(bins, value) {
    for (let k = 0; k < bins.length; k++) if (value <= bins[k]) return k;
    return bins.length - 1;
  }

  function el(tag, attrs, parent) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
    if (parent) parent.appendChild(node);
    return node;
  }

  class Player {
    constructor(host, onStep) {
      this.host = host; this.onStep = onStep; this.tl = null; this.step = 0; this.playing = false;
      this.timer = null; this.words = {}; this.playMs = 400;
      const bar = el("div", { class: "safegrid-pb-bar" }, host);
      this.button = el("button", { type: "button", class: "safegrid-pb-play", "data-testid": "playback-play" }, bar);
      this.slider = el("input", { type: "range", min: "0", max: "0", step: "1", value: "0",
                                  class: "safegrid-pb-slider", "data-testid": "playback-slider" }, bar);
      this.label = el("span", { class: "safegrid-pb-label", "data-testid": "playback-label" }, bar);
      this.chart = el("canvas", { class: "safegrid-pb-chart", height: "46", "data-testid": "playback-chart" }, host);
      this.button.addEventListener("click", () => (this.playing ? this.pause() : this.play()));
      this.slider.addEventListener("input", () => {
        const chosen = Number(this.slider.value);  // read before pausing, which sets the slider to the step shown
        this.pause();
        this.show(chosen);
      });
      this.chart.addEventListener("click", (e) => {
        if (!this.tl) return;
        const n = this.tl.labels.length, box = this.chart.getBoundingClientRect();
        this.pause();
        this.show(Math.max(0, Math.min(n - 1, Math.floor((e.clientX - box.left) / box.width * n))));
      });
      this.log = { steps: 0, painted: [] };
      window.__safegridPlayback = this.log;
    }

    load(tl, arg) {  // a new playback starts at its first step; the same one keeps its place over reruns
      this.words = arg.words || {}; this.playMs = arg.play_ms;
      if (!this.tl || this.tl.key !== tl.key) {
        this.pause();
        this.tl = tl; this.step = Math.min(arg.start || 0, tl.labels.length - 1);
        this.slider.max = String(tl.labels.length - 1);
        this.chart.setAttribute("aria-label", this.words.chart || "");
      }
      Object.assign(this.log, { key: tl.key, steps: tl.labels.length });
      this.render();
    }

    render() {
      this.button.textContent = this.playing ? "\u23F8 " + (this.words.pause || "") : "\u25B6 " + (this.words.play || "");
      this.slider.value = String(this.step);
      const n = this.tl.labels.length;
      this.label.textContent = `${this.words.step || ""} ${this.step + 1}/${n} · ${this.tl.labels[this.step]}`;
      Object.assign(this.log, { step: this.step, playing: this.playing, label: this.tl.labels[this.step] });
      this.drawChart();
    }

    drawChart() {
      const c = this.chart, width = Math.max(50, this.host.clientWidth - 16);
      if (c.width !== width) c.width = width;
      const g = c.getContext("2d"), totals = this.tl.totals, n = totals.length, h = c.height;
      const top = Math.max(1, ...totals), w = width / n;
      g.clearRect(0, 0, width, h);
      for (let i = 0; i < n; i++) {
        const bh = Math.max(1, (totals[i] / top) * (h - 6));
        g.fillStyle = i === this.step ? "#bd0026" : "#9aa5b1";
        g.fillRect(i * w + (w > 3 ? 1 : 0), h - bh, Math.max(1, w - (w > 3 ? 2 : 0)), bh);
      }
      g.fillStyle = "#0b2545";  // the marker of the step shown
      g.fillRect(this.step * w + w / 2 - 1, 0, 2, h);
    }

    show(i) {
      this.step = i;
      const applied = performance.now();
      this.onStep(i);
      this.render();
      this.log.steps_shown = (this.log.steps_shown || 0) + 1;
      return new Promise((resolve) => requestAnimationFrame(() => {  // after Leaflet's redraw of this frame
        const painted = performance.now();
        this.log.painted.push({ step: i, applied: applied, painted: painted });
        if (this.log.painted.length > 1000) this.log.painted.shift();
        resolve(painted - applied);
      }));
    }

    play() {
      if (!this.tl) return;
      if (this.step >= this.tl.labels.length - 1) this.step = -1;  // from the start again
      this.playing = true;
      this.render();
      const next = async () => {
        if (!this.playing) return;
        if (this.step >= this.tl.labels.length - 1) { this.pause(); return; }
        const spent = await this.show(this.step + 1);
        const pace = typeof window.__safegridPlayMs === "number" ? window.__safegridPlayMs : this.playMs;
        if (this.playing) this.timer = setTimeout(next, Math.max(0, pace - spent));
      };
      next();
    }

    pause() {
      this.playing = false;
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      if (this.tl) this.render();
    }

    remove() { this.pause(); this.host.innerHTML = ""; }
  }

  return { BAR_PX: BAR_PX, take: take, classOf: classOf, Player: Player };
})();
