"""Long work on a page: a status box with a progress bar and the step being done, fed by the
``progress(fraction, step)`` callbacks of geo/core, geo/store and geo/report (``geo.core.progress``).

    with working("zones.progress") as progress:
        result = patrol.propose_zones(..., progress=progress)

The box opens with the task's name, the bar follows the fraction (never backwards) with the step
in words (``progress.<step>`` in the catalogue), and the box closes as done, or as failed when the
work raises (the exception goes on to the caller).
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Iterator

import streamlit as st

from geo.core.progress import Progress
from geo.ui.i18n import t, t_or

REDRAW_S = 0.1  # at most ten bar updates a second (each one is a message to the browser)


@contextmanager
def working(task_key: str, keep: str | None = None) -> Iterator[Progress]:
    """A status box titled ``t(task_key)`` and the callback that moves its bar (see the module).

    ``keep``: a session key under which the finished box is remembered, for a page that reruns
    after the work (see :func:`finished`)."""
    box = st.status(t(task_key), expanded=True)
    bar = box.progress(0.0, text=t("progress.start"))
    state = {"fraction": 0.0, "step": None, "drawn": 0.0}

    def progress(fraction: float, step: str) -> None:
        fraction = max(state["fraction"], min(1.0, float(fraction)))
        now = time.monotonic()
        if step == state["step"] and fraction < 1.0 and now - state["drawn"] < REDRAW_S:
            state["fraction"] = fraction
            return
        state.update(fraction=fraction, step=step, drawn=now)
        bar.progress(fraction, text=f"{t_or(f'progress.{step}', step)} · {fraction:.0%}")

    try:
        yield progress
    except Exception:
        box.update(label=t("progress.failed", task=t(task_key)), state="error", expanded=False)
        raise
    if state["step"]:
        progress(1.0, state["step"])
    box.update(label=t("progress.done", task=t(task_key)), state="complete", expanded=False)
    if keep:
        st.session_state[keep] = (task_key, state["step"])


def finished(keep: str) -> None:
    """The closed box of work done before the page's last rerun (once: it is gone on the next run)."""
    done = st.session_state.pop(keep, None)
    if done:
        task_key, step = done
        box = st.status(t("progress.done", task=t(task_key)), state="complete", expanded=False)
        box.progress(1.0, text=f"{t_or(f'progress.{step}', step)} · 100%" if step else "100%")
