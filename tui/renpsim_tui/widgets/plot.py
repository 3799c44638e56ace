"""A plot that redraws itself at its own resolution, with its legend outside the data."""

from __future__ import annotations

from collections.abc import Callable

from textual_plotext import PlotextPlot

#: Columns taken by plotext's y tick labels and frame (the rest is the data area).
_MARGIN = 12


class Plot(PlotextPlot):
    """A PlotextPlot redrawn by ``draw(plot)`` whenever its size changes.

    Curves are drawn with braille markers (two sample columns per terminal cell); the number
    of exact sample points for the current width is :meth:`sample_points`.
    """

    def __init__(self, draw: Callable[[Plot], None] | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.draw = draw

    def sample_points(self) -> int:
        """One exact evaluation per braille column of the data area (0 before layout)."""
        width = self.size.width - _MARGIN
        return 2 * width if width > 4 else 0

    def redraw(self) -> None:
        """Clear and draw again with the current size."""
        self.plt.clear_data()
        self.plt.clear_figure()
        if self.draw is not None and self.sample_points():
            self.draw(self)
        self.refresh()

    def on_resize(self) -> None:
        """Redraw at the new resolution."""
        self.redraw()
