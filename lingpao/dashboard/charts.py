"""Charts built once per content: a page redrawn by thirty sessions does not rebuild its figures.

Building a Plotly figure (plotly.express validates every property) costs tens of milliseconds of
the one interpreter every session shares; the figure of the same data is the same figure. So each
chart is kept by its key, its frame's content and its parameters (what the viewer may see is in
the frame: two viewers share a figure only when they would see the same numbers), least recently
used first out.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from lingpao.dashboard.show import fresh, selection

KEPT = 256


class _Figures:
    def __init__(self) -> None:
        self.kept: OrderedDict[tuple, go.Figure] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple, build: Callable[[], go.Figure]) -> go.Figure:
        with self.lock:
            if key in self.kept:
                self.kept.move_to_end(key)
                return self.kept[key]
        figure = build()
        with self.lock:
            self.kept[key] = figure
            while len(self.kept) > KEPT:
                self.kept.popitem(last=False)
        return figure


@st.cache_resource
def _figures() -> _Figures:
    return _Figures()


def _digest(frame: pd.DataFrame) -> tuple:
    values = int(pd.util.hash_pandas_object(frame, index=True).sum()) if len(frame) else 0
    return (values, tuple(map(str, frame.columns)), tuple(map(str, frame.index.names)), frame.shape)


def chart(
    key: str,
    frame: pd.DataFrame,
    build: Callable[[pd.DataFrame], go.Figure],
    *params: Hashable,
    select: bool = False,
) -> object:
    """Draw `build(frame)` (its parameters named in `params`), built only when not kept yet; with
    `select`, a click on a bar, segment or cell is an event (returned: see `chosen_points`)."""
    figure = _figures().get((key, _digest(frame), params), lambda: build(frame))
    options = {"on_select": "rerun", "selection_mode": "points"} if select else {}
    return st.plotly_chart(
        figure,
        width="stretch",
        key=key,
        config={"displayModeBar": False},
        **options,
    )


def chosen_points(event: object, key: str) -> list[dict]:
    """The points a click on the selectable chart `key` newly chose (each with its `customdata`),
    or none (a choice the chart keeps is acted on once)."""
    points = [p for p in selection(event).get("points") or [] if p.get("customdata") is not None]
    return points if fresh(key, [p.get("customdata") for p in points]) else []


def count_colorbar(title: str, top: float) -> dict:
    """A colour bar of counts: whole-number ticks (1, 2, 5 × 10ⁿ apart, about five), from zero."""
    rough = max(float(top or 0) / 5, 1.0)
    power = 10 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    return {"title": {"text": title}, "tickformat": "d", "tick0": 0, "dtick": step}
