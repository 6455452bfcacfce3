"""Everything that reaches into matplotlib's private text drawing, fenced: Agg text from remembered glyphs.

Why: the Agg renderer lays every string out with HarfBuzz/FreeType and rasterises every glyph again on
every draw. A 7-day chart draws ~30 strings (~300 glyphs) that mostly recur from one chart to the next (tick
labels, titles, zone names), and this was about half of its drawing time (bench/chart_findings.md).

What: `canvas(figure)` gives the figure an Agg canvas whose renderer keeps, per process, each string's layout
(glyph indices and offsets, by font, size and flags) and each glyph's bitmap by font, size, glyph, angle and
the pen's position within its pixel (1/64 px, as FreeType is given it). A glyph rasterised at a whole-pixel
shift is the same bitmap shifted, so the picture is the same, pixel for pixel, as stock matplotlib's
(tests/unit/test_chart_text.py draws charts both ways and compares them). The renderer also answers
`Text._get_layout`'s question for a font's line height (ascent, descent, line gap from the font's OS/2 or
hhea table) once per font and size, which it otherwise looks the font and its tables up for on every text
laid out (~80 per chart: tick labels are measured for the axis labels' placement too).

Private names used (and nowhere else in the tree), checked against matplotlib `CHECKED_MATPLOTLIB`
(`RendererAgg.draw_text` and `_draw_text_glyphs_and_boxes`, which this follows):
- `RendererAgg._prepare_font(prop)` (the font for a FontProperties, cleared, sized) and
  `RendererAgg._renderer.draw_text_image(bitmap, x, y, angle, gc)`;
- `FT2Font._layout(text, flags, features, language)` (its items' `ft_object`, `glyph_index`, `x`, `y`),
  `FT2Font._set_transform(matrix, delta)`, `FT2Font._render_glyph(index, flags, mode)` (its `buffer`,
  `left`, `top`);
- `renderer._get_font_height_metrics(prop)`, which `Text._get_layout` asks a renderer that has it for
  (min ascent, min descent, line gap), and `fontManager._find_fonts_by_props(prop)` to answer it as
  `Text._get_layout` itself would.

`use(wanted)` decides once per process: on only if wanted (the bot's CHART_GLYPH_CACHE setting), the
installed matplotlib is the checked version and every name above is still there (`shape_problems()`).
Otherwise charts draw through stock FigureCanvasAgg, and the log says why. Mathtext, font features and a
language tag (none of which our charts use) always take the stock path.
"""

from __future__ import annotations

import inspect
import logging
import math
from importlib import metadata
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, fontManager, get_font
from matplotlib.ft2font import FT2Font, RenderMode
from matplotlib.text import Text

log = logging.getLogger(__name__)

CHECKED_MATPLOTLIB = "3.11.2"
# Text._get_layout's tables for a font's line height, in its order: (table, gap, ascent, descent).
_HEIGHT_TABLES = (
    ("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
    ("hhea", "lineGap", "ascent", "descent"),
)
# Bounds on what a process keeps (entries, each a small bitmap or a short list): a full cache starts over.
MAX_GLYPHS = 20_000
MAX_LAYOUTS = 5_000

_enabled: bool | None = None
_layouts: dict[tuple[Any, ...], list[tuple[FT2Font, int, float, float]]] = {}
_glyphs: dict[tuple[Any, ...], tuple[np.ndarray, int, int]] = {}


def shape_problems() -> list[str]:
    """What no longer looks as checked: empty when the private names above are all there."""
    problems = [f"FT2Font.{name}" for name in ("_layout", "_set_transform", "_render_glyph")
                if not hasattr(FT2Font, name)]  # fmt: skip
    if not hasattr(RendererAgg, "_prepare_font"):
        problems.append("RendererAgg._prepare_font")
    if not hasattr(fontManager, "_find_fonts_by_props"):
        problems.append("fontManager._find_fonts_by_props")
    if "_get_font_height_metrics" not in inspect.getsource(Text._get_layout):
        problems.append("Text._get_layout no longer asks renderer._get_font_height_metrics")
    if not hasattr(RendererAgg(1, 1, 72), "_renderer"):
        problems.append("RendererAgg._renderer")
    return problems


def use(wanted: bool) -> bool:
    """Switch the remembered glyphs on or off for this process; True if they are on."""
    global _enabled  # noqa: PLW0603 - one decision per process, read by every later chart
    version = metadata.version("matplotlib")
    problems = shape_problems()
    if not wanted:
        log.info("chart glyph cache off by setting")
    elif version != CHECKED_MATPLOTLIB or problems:
        log.warning(
            "chart glyph cache off: matplotlib=%s checked=%s problems=%s",
            version,
            CHECKED_MATPLOTLIB,
            problems,
        )
    _enabled = wanted and version == CHECKED_MATPLOTLIB and not problems
    return _enabled


def canvas(figure: Figure) -> FigureCanvasAgg:
    """An Agg canvas for `figure`, drawing from remembered glyphs when on (decided at first use if unset)."""
    if _enabled is None:
        use(wanted=True)
    return GlyphCanvas(figure) if _enabled else FigureCanvasAgg(figure)


class GlyphCanvas(FigureCanvasAgg):
    """FigureCanvasAgg with a GlyphRenderer; a renderer is kept while the size and DPI stay."""

    def get_renderer(self) -> RendererAgg:
        key = (*self.get_width_height(physical=True), self.figure.dpi)
        if not isinstance(self.renderer, GlyphRenderer) or self.renderer_key != key:
            self.renderer = GlyphRenderer(*key)
            self.renderer_key = key
        return self.renderer

    renderer: RendererAgg | None = None
    renderer_key: tuple[float, ...] = ()


class GlyphRenderer(RendererAgg):
    def __init__(self, width: float, height: float, dpi: float) -> None:
        super().__init__(width, height, dpi)
        # Per renderer, as matplotlib's own cache of text sizes: fonts do not change under a renderer.
        self._heights: dict[tuple[Any, ...], tuple[float, float, float] | tuple[None, None, None]] = {}

    def _get_font_height_metrics(
        self, prop: FontProperties
    ) -> tuple[float, float, float] | tuple[None, None, None]:
        """(min ascent, min descent, line gap) in pixels, computed as Text._get_layout does without us."""
        # FontProperties.__hash__'s fields: the object itself is mutable, so its state is the key.
        key = (
            tuple(prop.get_family()),
            prop.get_slant(),
            prop.get_variant(),
            prop.get_weight(),
            prop.get_stretch(),
            prop.get_size_in_points(),
            prop.get_file(),
            prop.get_math_fontfamily(),
        )
        heights = self._heights.get(key)
        if heights is None:
            heights = self._heights[key] = self._font_heights(prop)
        return heights

    def _font_heights(self, prop: FontProperties) -> tuple[float, float, float] | tuple[None, None, None]:
        font = get_font(fontManager._find_fonts_by_props(prop))
        for table_name, gap_key, ascent_key, descent_key in _HEIGHT_TABLES:
            table = font.get_sfnt_table(table_name)
            if table is None:
                continue
            scale = 1 / font.get_sfnt_table("head")["unitsPerEm"] * prop.get_size_in_points() * self.dpi / 72
            return table[ascent_key] * scale, -table[descent_key] * scale, table[gap_key] * scale
        return None, None, None  # Text._get_layout then measures "lp" itself

    # matplotlib's own signature (positional, as the artists call it); its types are matplotlib's.
    def draw_text(  # noqa: PLR0917
        self,
        gc: Any,
        x: float,
        y: float,
        s: str,
        prop: Any,
        angle: float,
        ismath: Any = False,
        mtext: Any = None,
    ) -> None:
        features = mtext.get_fontfeatures() if mtext is not None else None
        language = mtext.get_language() if mtext is not None else None
        if ismath or features is not None or language is not None:
            super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
            return
        flags = get_hinting_flag()
        size = prop.get_size_in_points()
        antialiased = gc.get_antialiased()
        cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        height = self.height
        for font, index, dx, dy in self._layout(s, prop, size, flags):
            # FreeType's pen position in 1/64 px, y upwards (as stock Agg computes it).
            pen_x = round(0x40 * (x + dx * cos - dy * sin))
            pen_y = round(0x40 * (height - y + dx * sin + dy * cos))
            whole_x, part_x = divmod(pen_x, 0x40)
            whole_y, part_y = divmod(pen_y, 0x40)
            key = (font, size, self.dpi, index, angle, part_x, part_y, flags, antialiased)
            glyph = _glyphs.get(key)
            if glyph is None:
                glyph = self._rasterise(font, size, index, angle=angle, pen=(part_x, part_y), flags=flags,
                                        antialiased=antialiased)  # fmt: skip
                if len(_glyphs) >= MAX_GLYPHS:
                    _glyphs.clear()
                _glyphs[key] = glyph
            bitmap, left, top = glyph
            # draw_text_image's y is downwards and names the bitmap's bottom side.
            self._renderer.draw_text_image(
                bitmap, left + whole_x, int(height) - top - whole_y + bitmap.shape[0], 0, gc
            )

    def _layout(self, s: str, prop: Any, size: float, flags: Any) -> list[tuple[FT2Font, int, float, float]]:
        font = self._prepare_font(prop)
        key = (font, size, self.dpi, s, flags)
        items = _layouts.get(key)
        if items is None:
            laid_out = font._layout(s, flags=flags)
            items = [(item.ft_object, item.glyph_index, item.x, item.y) for item in laid_out]
            if len(_layouts) >= MAX_LAYOUTS:
                _layouts.clear()
            _layouts[key] = items
        return items

    def _rasterise(
        self, font: FT2Font, size: float, index: int, *, angle: float, pen: tuple[int, int], flags: Any,
        antialiased: bool,
    ) -> tuple[np.ndarray, int, int]:  # fmt: skip
        """The glyph's bitmap with the pen at `pen`/64 px, and its left and top in whole pixels."""
        font.set_size(size, self.dpi)
        cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        rotation = (0x10000 * np.array([[cos, -sin], [sin, cos]])).round().astype(int)
        font._set_transform(rotation, list(pen))
        bitmap = font._render_glyph(index, flags, RenderMode.NORMAL if antialiased else RenderMode.MONO)
        buffer = np.array(bitmap.buffer)  # kept: a copy of its own, whatever FreeType does with the slot next
        if not antialiased:
            buffer *= 0xFF
        return buffer, bitmap.left, bitmap.top
