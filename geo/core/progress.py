"""Progress of long work: an optional ``progress(fraction, step)`` callback that pure code calls as it goes.

``fraction`` runs from 0 to 1 and never goes back; ``step`` is a short code naming what is being
done (``"search"``, ``"write"``, ...) that the app turns into words in the user's language. The
work never depends on the callback: it may be None, and whatever it does is ignored.
"""

from __future__ import annotations

from typing import Callable

Progress = Callable[[float, str], None]


def tell(progress: Progress | None, fraction: float, step: str) -> None:
    """Call ``progress`` (when there is one) with ``fraction`` clipped to 0..1."""
    if progress is not None:
        progress(min(1.0, max(0.0, float(fraction))), step)


def span(progress: Progress | None, start: float, stop: float) -> Progress | None:
    """A callback for a part of the work: its 0..1 is ``start..stop`` of ``progress``."""
    if progress is None:
        return None

    def part(fraction: float, step: str) -> None:
        tell(progress, start + (stop - start) * min(1.0, max(0.0, float(fraction))), step)

    return part
