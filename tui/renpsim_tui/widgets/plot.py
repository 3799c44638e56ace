"""A plot that redraws itself at its own resolution, with its legend outside the data.

Everything a tab draws goes through the :class:`Plot` methods (``line``, ``points``, ``vline``,
``hline``, ``text``, ``title``, ``xlabel``, ``ylim``), which draw it with plotext in the terminal
and record it in :attr:`Plot.figure`: the same series, exported to PNG or SVG by
:func:`renpsim_tui.services.export_plot` (matplotlib).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from textual_plotext import PlotextPlot

#: Columns taken by plotext's y tick labels and frame (the rest is the data area).
_MARGIN = 12


@dataclass
class Series:
    """One plotted series: ``kind`` is ``"line"`` or ``"points"``."""

    kind: str
    x: list[float]
    y: list[float]
    colour: str
    label: str


@dataclass
class Mark:
    """A labelled vertical (``"vline"``) or horizontal (``"hline"``) line at ``value``."""

    kind: str
    value: float
    colour: str
    label: str = ""


@dataclass
class Figure:
    """What a plot shows, as data: series, marks, title, axis labels and y range."""

    title: str = ""
    xlabel: str = ""
    ylabel: str = ""
    series: list[Series] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    ylim: tuple[float, float] | None = None

    def is_empty(self) -> bool:
        """Tell whether nothing was plotted."""
        return not self.series and not self.marks


class Plot(PlotextPlot):
    """A PlotextPlot redrawn by ``draw(plot)`` whenever its size changes.

    Curves are drawn with braille markers (two sample columns per terminal cell); the number
    of exact sample points for the current width is :meth:`sample_points`.
    """

    def __init__(self, draw: Callable[[Plot], None] | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.draw = draw
        self.figure = Figure()

    def sample_points(self) -> int:
        """One exact evaluation per braille column of the data area (0 before layout)."""
        width = self.size.width - _MARGIN
        return 2 * width if width > 4 else 0

    def redraw(self) -> None:
        """Clear and draw again with the current size."""
        self.plt.clear_data()
        self.plt.clear_figure()
        self.figure = Figure()
        if self.draw is not None and self.sample_points():
            self.draw(self)
        self.refresh()

    def on_resize(self) -> None:
        """Redraw at the new resolution."""
        self.redraw()

    # -- drawing (plotext) and recording (Figure) -------------------------------------------------
    def line(self, x: Sequence[float], y: Sequence[float], colour: str, label: str) -> None:
        """Draw a curve (braille) and record it."""
        x, y = [float(v) for v in x], [float(v) for v in y]
        self.plt.plot(x, y, marker="braille", color=colour)
        self.figure.series.append(Series("line", x, y, colour, label))

    def points(self, x: Sequence[float], y: Sequence[float], colour: str, label: str) -> None:
        """Draw markers (x) and record them."""
        x, y = [float(v) for v in x], [float(v) for v in y]
        self.plt.scatter(x, y, marker="x", color=colour)
        self.figure.series.append(Series("points", x, y, colour, label))

    def vline(self, x: float, colour: str, label: str = "") -> None:
        """Draw a vertical line and record it with its label."""
        self.plt.vline(float(x), colour)
        self.figure.marks.append(Mark("vline", float(x), colour, label))

    def hline(self, y: float, colour: str, label: str = "") -> None:
        """Draw a horizontal line and record it with its label."""
        self.plt.hline(float(y), colour)
        self.figure.marks.append(Mark("hline", float(y), colour, label))

    def text(self, text: str, x: float, y: float, colour: str) -> None:
        """Write a label in the terminal plot (the exported figure labels its marks itself)."""
        self.plt.text(text, x, y, color=colour)

    def title(self, text: str) -> None:
        """Set the title."""
        self.plt.title(text)
        self.figure.title = text

    def xlabel(self, text: str) -> None:
        """Set the x-axis label."""
        self.plt.xlabel(text)
        self.figure.xlabel = text

    def ylabel(self, text: str) -> None:
        """Set the y-axis label (exported figure only: the terminal plot keeps the room)."""
        self.figure.ylabel = text

    def ylim(self, lo: float, hi: float) -> None:
        """Set the y range."""
        self.plt.ylim(lo, hi)
        self.figure.ylim = (float(lo), float(hi))
