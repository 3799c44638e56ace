"""The documentation site builds with MkDocs in strict mode: any warning fails the build.

Warnings cover broken links between pages, unresolved cross-references, docstrings that do not
parse and missing pages in the navigation, so this test keeps the guides, the reference, the API
pages (from docstrings), the CLI reference (from the click commands) and the run-file format page
(from its schema) consistent with the code.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from renpsim.cli.main import COMMANDS

ROOT = Path(__file__).resolve().parents[1]


def test_site_builds_strictly(tmp_path: Path) -> None:
    site = tmp_path / "site"
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet",
         "--config-file", str(ROOT / "mkdocs.yml"), "--site-dir", str(site)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log
    assert "WARNING" not in log, log

    cli = (site / "cli" / "index.html").read_text(encoding="utf-8")
    for name in COMMANDS:
        assert f"renpsim {name}" in cli, name
    assert "zsh_source" in cli and "fish_source" in cli
    runfile = (site / "runfile-format" / "index.html").read_text(encoding="utf-8")
    assert "schema_version" in runfile and "counts_signal" in runfile
    api = (site / "api" / "physics" / "index.html").read_text(encoding="utf-8")
    assert "renpsim.physics.spectrum.spectral_function" in api
    physics = (site / "reference" / "physics" / "index.html").read_text(encoding="utf-8")
    assert 'id="43-neutrino-electromagnetic-properties-photon-as-massless-mediator"' in physics
    # Citations are links on the site: a section of the reference, a bibliography row.
    guide = (site / "physics" / "index.html").read_text(encoding="utf-8")
    assert 'href="../reference/physics/#0-corrections-to-the-gp21-formulas' in guide
    assert 'href="../bibliography/#gp21"' in physics
