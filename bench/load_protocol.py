"""A signed-in SafeGrid session without a browser: Streamlit's own websocket protocol, for load.

The client speaks what Streamlit's frontend speaks on ``/_stcore/stream`` (Streamlit 1.67): it
connects with the ``streamlit`` subprotocol, asks for a script run with a ``BackMsg.rerun_script``
carrying a ``ClientState`` (query string, widget states, page script hash or url path), and reads
``ForwardMsg``s (``new_session``, ``navigation``, ``delta``, ``script_finished``) until the run it
asked for is over. It reads widget ids from the deltas (the sign-in form's text inputs and its submit
button, the map component) and sends widget states as the frontend would on a form submit or a
component value.

What it measures is the server's side only: "map drawn" here is the end of the script run that
delivered the map component's element with its shape data (the page's first element carrying
shapes whose area codes have the expected length). No iframe loads, no Leaflet, no paint: the
browser clients of ``bench/load_bench.py`` time those.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

MAP_COMPONENT = "safegrid_map"  # geo.ui.mapview declares the component under this name
FINISHED = ForwardMsg.ScriptFinishedStatus
DONE = (FINISHED.FINISHED_SUCCESSFULLY, FINISHED.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)
ERROR_ALERT = 1  # Alert.Format.ERROR


@dataclass
class Run:
    """What one script run (or a chain of runs ended by ``st.rerun``) delivered."""

    inputs: dict[str, str] = field(default_factory=dict)  # text input label -> widget id
    submit: str | None = None  # the form's submit button
    maps: list[dict] = field(default_factory=list)  # {"id", "codes"}: map components with shapes
    map_id: str | None = None  # the map component's widget id (shapes or not)
    errors: list[str] = field(default_factory=list)  # exception elements and error alerts

    def add(self, element) -> None:
        kind = element.WhichOneof("type")
        if kind == "text_input":
            self.inputs[element.text_input.label] = element.text_input.id
        elif kind == "button" and element.button.is_form_submitter:
            self.submit = element.button.id
        elif kind == "component_instance" and MAP_COMPONENT in element.component_instance.component_name:
            self.map_id = element.component_instance.id
            args = json.loads(element.component_instance.json_args or "{}")
            shapes = args.get("shapes")
            if shapes:
                self.maps.append({"id": element.component_instance.id, "codes": shapes["props"]["code"]})
        elif kind == "exception":
            self.errors.append(f"exception: {element.exception.type}: {element.exception.message[:200]}")
        elif kind == "alert" and element.alert.format == ERROR_ALERT:
            self.errors.append(f"error: {element.alert.body[:200]}")


class ProtocolSession:
    """One Streamlit session over a websocket (``websockets`` asyncio client)."""

    def __init__(self, base: str, timeout: float):
        self.url = base.replace("http://", "ws://").replace("https://", "wss://").rstrip("/") + "/_stcore/stream"
        self.timeout = timeout
        self.pages: dict[str, str] = {}  # url path -> page script hash (from the navigation message)
        self.page_hash = ""
        self.ws = None

    async def connect(self) -> None:
        from websockets.asyncio.client import connect

        self.ws = await connect(self.url, subprotocols=["streamlit"], max_size=None, open_timeout=self.timeout,
                                ping_interval=None)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    async def run(self, page: str = "", widgets: list[WidgetState] | None = None) -> Run:
        """Ask for a run of ``page`` (url path) with ``widgets``; the Run of everything until the session
        is idle again (a run ended by ``st.rerun`` is followed into the next)."""
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = ""
        state.page_name = page
        state.page_script_hash = self.pages.get(page, "") if page else self.page_hash
        state.context_info.timezone = "Asia/Shanghai"
        state.context_info.locale = "zh-CN"
        state.widget_states.widgets.extend(widgets or [])
        await self.ws.send(msg.SerializeToString())
        return await self._until_idle()

    async def _until_idle(self) -> Run:
        run = Run()
        deadline = time.perf_counter() + self.timeout
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError("no end of the script run")
            raw = await asyncio.wait_for(self.ws.recv(), left)
            if isinstance(raw, str):
                continue
            fwd = ForwardMsg.FromString(raw)
            kind = fwd.WhichOneof("type")
            if kind == "new_session":  # a run starts: what counts is what the last run of the chain shows
                self.page_hash = fwd.new_session.page_script_hash
                run = Run(errors=run.errors)
            elif kind == "navigation":
                self.pages.update({p.url_pathname: p.page_script_hash for p in fwd.navigation.app_pages})
                self.page_hash = fwd.navigation.page_script_hash or self.page_hash
            elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                run.add(fwd.delta.new_element)
            elif kind == "script_finished":
                if fwd.script_finished in DONE:
                    return run
                if fwd.script_finished == FINISHED.FINISHED_WITH_COMPILE_ERROR:
                    run.errors.append("compile error")
                    return run
                # FINISHED_EARLY_FOR_RERUN: st.rerun; the next run follows on its own


def text(widget_id: str, value: str) -> WidgetState:
    return WidgetState(id=widget_id, string_value=value)


def trigger(widget_id: str) -> WidgetState:
    return WidgetState(id=widget_id, trigger_value=True)


def component_value(widget_id: str, value: dict) -> WidgetState:
    return WidgetState(id=widget_id, json_value=json.dumps(value))


def codes_of(run: Run, want: tuple[int, int]) -> list[str] | None:
    """The codes of the first map in ``run`` whose shapes all have a code length within ``want``."""
    for m in run.maps:
        if m["codes"] and all(want[0] <= len(str(c)) <= want[1] for c in m["codes"]):
            return [str(c) for c in m["codes"]]
    return None


async def session(base: str, user: str, password: str, want: dict, timeout: float) -> dict:
    """Sign in, open the grid map, drill into a street, open the wall: seconds per step, errors.

    ``want``: code lengths [least, most] of "street", "community" and "cell" areas.
    """
    out: dict = {"client": "protocol", "errors": []}
    s = ProtocolSession(base, timeout)
    t0 = time.perf_counter()
    try:
        await s.connect()
        form = await s.run("")
        out["first_page"] = time.perf_counter() - t0
        names = {label: wid for label, wid in form.inputs.items()}
        if "账号" not in names or "密码" not in names or form.submit is None:
            raise RuntimeError(f"no sign-in form (inputs: {sorted(names)})")
        t = time.perf_counter()
        signed = await s.run("", [text(names["账号"], user), text(names["密码"], password), trigger(form.submit)])
        if "grid" not in s.pages or "账号" in signed.inputs:
            raise RuntimeError("sign-in refused: " + "; ".join(signed.errors))
        out["sign_in"] = time.perf_counter() - t
        out["errors"] += signed.errors
        t = time.perf_counter()
        grid = await s.run("grid")
        streets = codes_of(grid, want["street"])
        if not streets:
            raise RuntimeError("the grid page delivered no street shapes")
        out["map"] = time.perf_counter() - t
        out["errors"] += grid.errors
        t = time.perf_counter()
        click = {"code": streets[0], "lat": 0.0, "lng": 0.0, "frame": "load-bench", "n": 1}
        drill = await s.run("grid", [component_value(grid.map_id, click)])
        if not codes_of(drill, want["community"]):
            raise RuntimeError("the drill delivered no community shapes")
        out["drill"] = time.perf_counter() - t
        out["errors"] += drill.errors
        t = time.perf_counter()
        wall = await s.run("wall")
        if not codes_of(wall, want["cell"]):
            raise RuntimeError("the wall delivered no grid cell shapes")
        out["wall"] = time.perf_counter() - t
        out["errors"] += wall.errors
    except Exception as exc:  # a timeout or a refusal is counted, the other sessions go on
        out["errors"].append(f"{type(exc).__name__}: {exc}"[:300])
    finally:
        try:
            await s.close()
        except Exception:
            pass
    return out


async def first_page(base: str, timeout: float) -> None:
    """Open the sign-in page once (the server imports the app's modules on its first run)."""
    s = ProtocolSession(base, timeout)
    await s.connect()
    try:
        await s.run("")
    finally:
        await s.close()
