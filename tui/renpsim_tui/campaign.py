"""The campaign document edited by the interface: a tomlkit document plus a validated view.

The file keeps the user's comments and key order: values are changed in place in the tomlkit
document, and only the step list (``[[scan.steps]]``) is rewritten when the schedule changes.

Stand-in schema (until the hardware branch's campaign schema is merged; key names follow
hardware.md sections 7 and 8.4)::

    [campaign]   name, description, hardware (preset reference, kept verbatim), seed
    [target]     name ("Yb-174", "Yb-gp21", "Xe", ...), gamma0_per_s (optional; needed for Xe)
    [neutrino]   ordering, m_lightest_eV, nature, oscillation
    [alternative] ordering, m_lightest_eV, nature          (second curve of the Forecast tab)
    [hardware]   volume_cm3, n_atoms_cm3, n_gamma_cm3, eta, ... (see fields.HARDWARE_FIELDS)
    [statistics] delta_chi2, dof
    [[scan.steps]] omega_eV, dwell_s

Unknown tables and keys are preserved untouched, so a file written by a newer schema survives a
round trip through the interface.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import tomlkit
from tomlkit.exceptions import TOMLKitError

from renpsim.errors import DataFileError, InputError
from renpsim_tui import backend
from renpsim_tui.fields import FieldSpec, all_fields, format_value, parse_field

_TEMPLATE = """\
# renpsim campaign written by `renpsim tui`.
[campaign]
name = "untitled"
seed = 1

[target]
name = "Yb-174"

[neutrino]
ordering = "NO"
m_lightest_eV = 0.01
nature = "dirac"
oscillation = "nufit-6.0"

[alternative]
ordering = "IO"
m_lightest_eV = 0.01
nature = "dirac"

[hardware]

[statistics]

[scan]
"""


@dataclass(frozen=True)
class Step:
    """One scan step: trigger photon energy and time spent there.

    Attributes
    ----------
    omega_eV : float
        Trigger photon energy omega in eV (0 < omega <= E_eg/2).
    dwell_s : float
        Seconds of full coherence spent at omega (physics.md 1.5 convention).

    """

    omega_eV: float
    dwell_s: float


class Campaign:
    """A campaign document with validated access to its fields and steps.

    Parameters
    ----------
    doc : tomlkit.TOMLDocument
        Parsed document (comments kept).
    path : pathlib.Path or None
        File it came from, if any.

    """

    def __init__(self, doc: tomlkit.TOMLDocument, path: Path | None = None) -> None:
        self.doc = doc
        self.path = path
        self.fields: dict[str, FieldSpec] = all_fields()
        self.dirty = False
        where = str(path) if path else "campaign"
        self._check_target(self.target_name, where)
        self.steps: list[Step] = self._read_steps(where)
        for key, spec in self.fields.items():
            raw = self._lookup(key)
            if raw is not None:
                self._check_stored(spec, raw, where)

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def new(cls) -> Campaign:
        """Return an empty campaign (Yb-174, no steps)."""
        return cls(tomlkit.parse(_TEMPLATE))

    @classmethod
    def load(cls, path: str | os.PathLike) -> Campaign:
        """Load a campaign TOML file.

        Raises
        ------
        DataFileError
            The file cannot be read or is not valid TOML.
        InputError
            A known key holds a bad value (the message names file, key, value and range).

        """
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise DataFileError(str(p), "-", f"cannot read: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise DataFileError(str(p), "-", "not a UTF-8 text file") from None
        try:
            doc = tomlkit.parse(text)
        except TOMLKitError as exc:
            raise DataFileError(str(p), "-", f"not valid TOML: {exc}") from None
        return cls(doc, p)

    # -- scalar fields ------------------------------------------------------------------------
    def _lookup(self, key: str):
        node = self.doc
        for part in key.split("."):
            if not hasattr(node, "get") or part not in node:
                return None
            node = node[part]
        return node.unwrap() if hasattr(node, "unwrap") else node

    def get(self, key: str):
        """Return the stored value of a field, or its default."""
        value = self._lookup(key)
        if value is None:
            spec = self.fields.get(key)
            return None if spec is None else spec.default
        return value

    def text(self, key: str) -> str:
        """Value of a field formatted for an input box."""
        return format_value(self.fields[key], self.get(key))

    def _check_stored(self, spec: FieldSpec, raw, where: str) -> None:
        if spec.kind in ("float", "int") and (isinstance(raw, bool)
                                              or not isinstance(raw, int | float)):
            raise InputError(where, spec.key, raw, spec.expected())
        try:
            parse_field(spec, str(raw), where)
        except InputError:
            raise InputError(where, spec.key, raw, spec.expected()) from None

    def set_text(self, key: str, text: str):
        """Validate ``text`` and store it; on error raise and leave the campaign unchanged.

        Returns
        -------
        object
            The stored value.

        Raises
        ------
        InputError
            The text is not acceptable for that field.

        """
        spec = self.fields[key]
        value = parse_field(spec, text, "campaign")
        if value != self.get(key):
            self._store(key, value)
        return value

    def _store(self, key: str, value) -> None:
        *parents, last = key.split(".")
        node = self.doc
        for part in parents:
            if part not in node:
                node[part] = tomlkit.table()
            node = node[part]
        if last not in node or node[last] != value:
            node[last] = value
            self.dirty = True

    # -- target and hypotheses ----------------------------------------------------------------
    @property
    def name(self) -> str:
        """Campaign name."""
        return str(self._lookup("campaign.name") or "untitled")

    @property
    def target_name(self) -> str:
        """Target label as given (e.g. ``"Yb-174"``)."""
        return str(self._lookup("target.name") or "Yb-174")

    def _check_target(self, name: str, where: str) -> None:
        try:
            backend.target_info(name, self._lookup("target.gamma0_per_s"))
        except InputError as exc:
            raise InputError(where, "target.name" if exc.key in ("name", "isotope")
                             else "target." + exc.key, exc.value, exc.expected) from None

    def set_target(self, name: str) -> None:
        """Change the target; refuse it (unchanged campaign) if a step lies above its E_eg/2."""
        info = backend.target_info(name, self._lookup("target.gamma0_per_s"))
        for i, step in enumerate(self.steps):
            if step.omega_eV > info.omega_max_eV:
                raise InputError("campaign", f"scan.steps[{i}].omega_eV", step.omega_eV,
                                 f"omega <= E_eg/2 = {info.omega_max_eV:.9g} eV for {info.name}"
                                 " (remove or regenerate the steps first)")
        self._store("target.name", name)

    def apply_hardware_preset(self, name: str) -> None:
        """Set the target and every hardware scalar from a preset (all checked before storing).

        Raises
        ------
        InputError
            Unknown preset, or a scan step lies above the preset target's E_eg/2.

        """
        presets = backend.hardware_presets()
        if name not in presets:
            raise InputError("campaign", "campaign.hardware", name,
                             "one of " + ", ".join(presets))
        target, gamma0, values = presets[name]
        info = backend.target_info(target, gamma0)
        for i, step in enumerate(self.steps):
            if step.omega_eV > info.omega_max_eV:
                raise InputError("campaign", f"scan.steps[{i}].omega_eV", step.omega_eV,
                                 f"omega <= E_eg/2 = {info.omega_max_eV:.9g} eV for {info.name}"
                                 " (remove or regenerate the steps first)")
        checked = {f"hardware.{k}": parse_field(self.fields[f"hardware.{k}"], repr(v))
                   for k, v in values.items()}
        self._store("campaign.hardware", name)
        self._store("target.name", target)
        if gamma0 is not None:
            self._store("target.gamma0_per_s", gamma0)
        elif self._lookup("target.gamma0_per_s") is not None:
            del self.doc["target"]["gamma0_per_s"]
        for key, value in checked.items():
            self._store(key, value)

    @property
    def target(self) -> backend.TargetInfo:
        """Target summary from the physics data."""
        return backend.target_info(self.target_name, self._lookup("target.gamma0_per_s"))

    def hypothesis(self, which: str = "neutrino") -> backend.Hypothesis:
        """Return the main ("neutrino") or alternative ("alternative") neutrino hypothesis."""
        osc = str(self.get("neutrino.oscillation") or "nufit-6.0")
        return backend.Hypothesis(
            ordering=str(self.get(f"{which}.ordering")),
            m_lightest_eV=float(self.get(f"{which}.m_lightest_eV")),
            nature=str(self.get(f"{which}.nature")),
            oscillation=str(self._lookup(f"{which}.oscillation") or osc),
        )

    def hardware(self) -> dict[str, float]:
        """All hardware scalars (stored or default) keyed by their short name."""
        return {k.split(".", 1)[1]: float(self.get(k)) for k in self.fields
                if k.startswith("hardware.")}

    # -- steps --------------------------------------------------------------------------------
    def _read_steps(self, where: str) -> list[Step]:
        scan = self._lookup("scan")
        raw = (scan or {}).get("steps", []) if isinstance(scan, dict) else []
        if not isinstance(raw, list):
            raise InputError(where, "scan.steps", raw, "an array of tables [[scan.steps]]")
        half = self.target.omega_max_eV
        steps = []
        for i, item in enumerate(raw):
            if not isinstance(item, dict):
                raise InputError(where, f"scan.steps[{i}]", item, "a table with omega_eV, dwell_s")
            steps.append(validate_step(item.get("omega_eV"), item.get("dwell_s"), half,
                                       where, i))
        return steps

    def set_steps(self, steps: list[Step]) -> None:
        """Replace the schedule (each step is validated first; nothing changes on error)."""
        half = self.target.omega_max_eV
        checked = [validate_step(s.omega_eV, s.dwell_s, half, "campaign", i)
                   for i, s in enumerate(steps)]
        self.steps = checked
        aot = tomlkit.aot()
        for s in checked:
            t = tomlkit.table()
            t["omega_eV"] = s.omega_eV
            t["dwell_s"] = s.dwell_s
            aot.append(t)
        if "scan" not in self.doc:
            self.doc["scan"] = tomlkit.table(is_super_table=True)
        self.doc["scan"]["steps"] = aot
        self.dirty = True

    @property
    def total_time_s(self) -> float:
        """Sum of the dwell times in seconds (the campaign's total time, physics.md 1.5)."""
        return float(sum(s.dwell_s for s in self.steps))

    # -- saving -------------------------------------------------------------------------------
    def dumps(self) -> str:
        """Return the document as TOML text (comments preserved)."""
        return tomlkit.dumps(self.doc)

    def save(self, path: str | os.PathLike | None = None) -> Path:
        """Write the document atomically (temporary file, then rename).

        Raises
        ------
        DataFileError
            The file cannot be written.

        """
        p = Path(path) if path is not None else self.path
        if p is None:
            raise DataFileError("campaign", "-", "no file name given")
        text = self.dumps()
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(text)
                os.replace(tmp, p)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise DataFileError(str(p), "-", f"cannot write: {exc.strerror or exc}") from None
        self.path = p
        self.dirty = False
        return p


def validate_step(omega, dwell, omega_max_eV: float, where: str, index: int) -> Step:
    """Check one step and return it as a :class:`Step`.

    Raises
    ------
    InputError
        omega outside (0, E_eg/2] or dwell time negative or not a number.

    """
    for key, value in (("omega_eV", omega), ("dwell_s", dwell)):
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            raise InputError(where, f"scan.steps[{index}].{key}", value, "a number")
    if not 0.0 < omega <= omega_max_eV:
        raise InputError(where, f"scan.steps[{index}].omega_eV", omega,
                         f"0 < omega <= E_eg/2 = {omega_max_eV:.9g} eV")
    if not 0.0 <= dwell < float("inf"):
        raise InputError(where, f"scan.steps[{index}].dwell_s", dwell, "a finite time >= 0 s")
    return Step(float(omega), float(dwell))
