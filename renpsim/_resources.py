"""Locating data shipped with the package: oscillation presets, targets and TOML presets.

The ``hardware/`` and ``campaigns/`` folders live at the top of the repository. A wheel carries
them as ``renpsim/_presets/{hardware,campaigns}``; an editable install finds them beside the
package. Both are searched, package copy first.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from renpsim._toml import read_toml

_PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = _PACKAGE_DIR / "data"


def preset_dir(kind: str) -> Path:
    """Return the folder that holds the TOML presets of one kind.

    Parameters
    ----------
    kind : {"hardware", "campaigns"}
        Which preset family.

    Returns
    -------
    pathlib.Path
        The installed copy if present, else the repository folder beside the package.

    """
    installed = _PACKAGE_DIR / "_presets" / kind
    if installed.is_dir():
        return installed
    return _PACKAGE_DIR.parent / kind


def data_path(*parts: str) -> Path:
    """Return the path of a data file inside ``renpsim/data``."""
    return DATA_DIR.joinpath(*parts)


@cache
def _load_toml_cached(path: str) -> dict[str, Any]:
    return read_toml(path, data_file=True, what="a data file shipped with renpsim")


def load_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file shipped with the package (cached; do not mutate the result)."""
    return _load_toml_cached(str(path))
