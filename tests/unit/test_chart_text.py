"""Text from remembered glyphs (charts.agg_text): every chart exactly as stock matplotlib draws it."""

from __future__ import annotations

from importlib import metadata

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from charts import ENGLISH, RUSSIAN, Labels, agg_text, style
from charts.history import history_figure
from tests.unit.test_chart_skeletons import DAMP, METER, WARM, WEEK, History


def drawn(figure: Figure, canvas: FigureCanvasAgg) -> np.ndarray:
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()


def both_ways(history: History, labels: Labels) -> tuple[np.ndarray, np.ndarray]:
    with style.styled():
        figure = history_figure(history, labels)
        return drawn(figure, agg_text.GlyphCanvas(figure)), drawn(figure, FigureCanvasAgg(figure))


def test_charts_drawn_from_remembered_glyphs_look_exactly_as_stock_matplotlib_draws_them() -> None:
    # Twice over: the first round fills the glyph cache, the second draws from it. WEEK's outage carries the
    # word "offline" turned 90°, METER has bars, the Russian labels other glyphs.
    for _ in range(2):
        for history in (WEEK, WARM, METER, DAMP):
            for labels in (ENGLISH, RUSSIAN):
                remembered, stock = both_ways(history, labels)
                assert np.array_equal(remembered, stock), (history.device_name, labels.no_data)


def test_the_glyph_cache_is_on_for_the_checked_matplotlib() -> None:
    # Fails on a matplotlib upgrade: check agg_text against the new RendererAgg.draw_text, then raise
    # CHECKED_MATPLOTLIB (until then the bot draws through stock matplotlib, as use() decides).
    assert metadata.version("matplotlib") == agg_text.CHECKED_MATPLOTLIB
    assert agg_text.shape_problems() == []
    assert agg_text.use(wanted=True)
    assert isinstance(agg_text.canvas(Figure()), agg_text.GlyphCanvas)


def test_the_setting_turns_the_glyph_cache_off() -> None:
    try:
        assert not agg_text.use(wanted=False)
        assert type(agg_text.canvas(Figure())) is FigureCanvasAgg
    finally:
        agg_text.use(wanted=True)
