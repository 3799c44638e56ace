"""Plot export: the series a terminal plot draws, rendered to PNG and SVG with matplotlib."""

from __future__ import annotations

import asyncio
import struct
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from renpsim_tui import services
from renpsim_tui.widgets.plot import Figure, Series
from tui_helpers import gp21_app

from renpsim.errors import RenpsimError
from renpsim.physics import load_target, neutrino_state, spectral_function

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_forecast_plot_exports_to_png_and_svg_with_the_plotted_curve(tmp_path):
    async def run():
        app = gp21_app()
        async with app.run_test(size=(160, 48)) as pilot:
            await pilot.press("f4")
            await app.workers.wait_for_complete()
            await pilot.pause()
            figure = app.tab("forecast").query_one("#forecast-plot").figure
            png = app._export("forecast-plot", str(tmp_path / "fc.png"))
            svg = app._export("forecast-plot", str(tmp_path / "fc.svg"))
            return figure, png, svg

    figure, png, svg = asyncio.run(run())
    width, height = _png_size(png.read_bytes())
    assert width > 400 and height > 200
    root = ET.fromstring(svg.read_text(encoding="utf-8"))
    assert root.tag.endswith("svg") and len(list(root.iter())) > 50
    # the curve written is I(omega) of the truth (GP21 benchmark: Yb, NO, m1 = 0.01 eV)
    truth = figure.series[0]
    assert truth.kind == "line" and "NO m1=0.01 eV dirac" in truth.label
    target = load_target("Yb-gp21")
    omega = target.E_eg_eV / 2 + np.asarray(truth.x) * 1e-3
    expected = spectral_function(omega, neutrino_state("NO", 0.01, "dirac", "nufit-5.0"),
                                 target)
    np.testing.assert_allclose(truth.y, expected, rtol=1e-12, atol=0.0)
    steps = [s for s in figure.series if s.kind == "points"]
    assert len(steps) == 1 and len(steps[0].x) == 3               # the three scan steps
    assert {m.label for m in figure.marks} >= {"11", "12", "13", "22", "23", "33"}


def test_export_plot_guards(tmp_path):
    fig = Figure(title="t", series=[Series("line", [0.0, 1.0], [1.0, 2.0], "blue", "a")])
    with pytest.raises(RenpsimError, match=r"plot file = .*x\.jpg.*\.png or \.svg"):
        services.export_plot(tmp_path / "x.jpg", fig)
    with pytest.raises(RenpsimError, match="plot with data"):
        services.export_plot(tmp_path / "x.png", Figure())
    folder = tmp_path / "d.png"
    folder.mkdir()
    with pytest.raises(RenpsimError, match=r"d\.png"):
        services.export_plot(folder, fig)
    campaign = tmp_path / "c.png"      # an input of the session is never overwritten
    campaign.write_bytes(b"input")
    with pytest.raises(RenpsimError, match=r"c\.png"):
        services.export_plot(campaign, fig, inputs=[campaign])
    assert campaign.read_bytes() == b"input"
    out = services.export_plot(tmp_path / "ok.png", fig)
    assert _png_size(out.read_bytes())[0] > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.png", "d.png", "ok.png"]
