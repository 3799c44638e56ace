"""docs/hardware-and-campaigns.md is generated from the schema and must be current."""

from pathlib import Path

from renpsim.campaign.docgen import render

DOC = Path(__file__).resolve().parent.parent / "docs" / "hardware-and-campaigns.md"


def test_reference_doc_is_current():
    assert DOC.read_text() == render(), (
        "regenerate: python -m renpsim.campaign.docgen > docs/hardware-and-campaigns.md")


def test_every_key_has_unit_column_and_tag():
    text = render()
    for key in ("target.density_cm3", "lasers.pulse_energy_J", "detector.dead_time_s",
                "waveguide.S_gap", "backgrounds.trigger_leak_eps", "scan.dwell_s",
                "coherence.T2_s", "truth.m_lightest_eV", "calibration.kind"):
        line = next(x for x in text.splitlines() if x.startswith(f"| `{key}` |"))
        assert line.count("|") == 7
