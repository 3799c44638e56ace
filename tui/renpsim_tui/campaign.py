"""The campaign document edited by the interface: a tomlkit document plus a validated view.

The file keeps the user's comments and key order: values are changed in place in the tomlkit
document, and only the step lists of ``[scan]`` are rewritten when the schedule changes.

Layout: the campaign schema of the hardware/DAQ issue (``renpsim.campaign``), so a file saved here
is a valid ``renpsim simulate`` input::

    name, description, hardware (preset name), seed
    [hardware_overrides.SECTION]   KEY = value   (edited hardware knobs, hardware schema names)
    [truth]                        ordering, m_lightest_eV, nature, oscillation
    [scan]                         generator = "explicit", omega_eV = [...], dwell_s = [...],
                                   order = "as_listed"
    [[calibration]]                (kept untouched)

``dwell_s`` is the wall time per step (rounded to whole shots at the laser repetition rate);
the coherent exposure follows from the hardware ([hardware §5.2]). Settings that belong to the
interface only (the alternative hypothesis, the Delta chi^2 threshold and dof) are not part of
the campaign schema and live in :attr:`Campaign.session`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import tomlkit
from tomlkit.exceptions import TOMLKitError

from renpsim.errors import DataFileError, InputError, MissingInputError, RenpsimError
from renpsim_tui import backend
from renpsim_tui.fields import FieldSpec, all_fields, format_value, parse_field

#: Top-level keys of the campaign schema (renpsim.campaign.campaign.TOP in the hardware branch).
TOP_KEYS = ("name", "description", "hardware", "seed", "hardware_overrides", "truth", "scan",
            "calibration", "resolved_reference_steps")
#: [scan] keys that describe a generated schedule; removed when explicit steps are written.
_GENERATED_SCAN_KEYS = ("n_steps", "offset_min_eV", "offset_max_eV", "dense_fraction",
                        "dense_width_eV", "total_time_s", "shots_per_step")
#: [scan] keys of explicit steps; removed when a generator is written.
_STEP_KEYS = ("omega_eV", "dwell_s")

_TEMPLATE = """\
# renpsim campaign written by `renpsim tui`.
name = "untitled"
hardware = "gp21-benchmark"
seed = 1

[truth]
ordering = "NO"
m_lightest_eV = 0.01
nature = "dirac"
oscillation = "nufit-5.0"

[scan]
generator = "gp21"
total_time_s = 198720.0
order = "up"
"""


@dataclass(frozen=True)
class Step:
    """One scan step: trigger photon energy and wall time spent there.

    Attributes
    ----------
    omega_eV : float
        Trigger photon energy omega in eV (0 < omega <= E_eg/2).
    dwell_s : float
        Wall time at omega in s (campaign schema ``scan.dwell_s``).

    """

    omega_eV: float
    dwell_s: float


def _hardware_key(key: str) -> bool:
    return key.split(".", 1)[0] in backend.HARDWARE_SECTIONS


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
        self.session: dict[str, object] = {}
        self.notes: list[str] = []
        self.dirty = False
        where = str(path) if path else "campaign"
        for key, value in doc.items():
            if key not in TOP_KEYS:
                raise InputError(where, key, value.unwrap() if hasattr(value, "unwrap")
                                 else value, "one of " + ", ".join(TOP_KEYS))
        # A preset name, or a hardware TOML file (relative to the campaign's folder); a bad
        # hardware file is reported with its own name and key.
        self._hardware = backend.hardware_file(self._lookup("hardware"), where,
                                               path.parent if path is not None else None)
        backend.hardware_sections(self._hardware)
        seed = self._lookup("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)
                                 or seed < 0):
            raise InputError(where, "seed", seed, "an integer >= 0")
        for key, spec in self.fields.items():
            if key in self.session or key.split(".")[0] in ("alternative", "statistics"):
                continue
            raw = self._lookup(self._doc_key(key))
            if raw is not None:
                self._check_stored(spec, raw, where, self._doc_key(key))
        try:
            self.target  # noqa: B018 - validates species, isotope, E_eg and Gamma_0
        except InputError as exc:
            raise InputError(where, "hardware_overrides.target." + exc.key.split(".")[-1]
                             if exc.key in ("name", "isotope") else exc.key, exc.value,
                             exc.expected) from None
        # The campaign library validates the whole document and resolves every generator.
        self._resolve(where)

    def _resolve(self, where: str = "campaign") -> None:
        """Validate the document with the campaign library; keep its campaign and steps."""
        base = self.path.parent if self.path is not None else None
        try:
            #: The library's validated, resolved campaign (``renpsim.campaign.Campaign``; None
            #: while an input without a default is missing, e.g. Gamma_0 of Xe).
            self.resolved = backend.resolve_campaign(self.doc.unwrap(), where, base)
            resolved = self.resolved
        except MissingInputError:
            # Kept as an edit (the tabs say what is missing); the steps do not depend on
            # Gamma_0, so they are resolved with the library's placeholder flag.
            self.resolved = None
            doc = self.doc.unwrap()
            doc.setdefault("hardware_overrides", {}).setdefault("target", {})[
                "gamma0_placeholder"] = True
            resolved = backend.resolve_campaign(doc, where, base)
        steps = resolved.steps
        self.steps: list[Step] = [Step(float(w), float(t))
                                  for w, t in zip(steps.omega_eV, steps.dwell_s, strict=True)]

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """Apply a change, then let the campaign library validate the whole document.

        On a refusal the document is put back as it was and the error raised: the campaign
        never holds a state the library would not load.
        """
        saved = (tomlkit.dumps(self.doc), self._hardware, self.dirty)
        try:
            yield
            self._resolve()
        except RenpsimError:
            text, self._hardware, self.dirty = saved
            self.doc = tomlkit.parse(text)
            self._resolve()
            raise

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def new(cls) -> Campaign:
        """Return a new campaign: the GP21 benchmark hardware and its three points."""
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
        backend.check_toml_file(p, "a campaign TOML file")   # errors give line and column
        text = p.read_text(encoding="utf-8")
        try:
            doc = tomlkit.parse(text)
        except TOMLKitError as exc:
            raise DataFileError(str(p), "-", f"not valid TOML: {exc}") from None
        return cls(doc, p)

    # -- scalar fields ------------------------------------------------------------------------
    @staticmethod
    def _doc_key(key: str) -> str:
        return f"hardware_overrides.{key}" if _hardware_key(key) else key

    def _lookup(self, key: str):
        node = self.doc
        for part in key.split("."):
            if not hasattr(node, "get") or part not in node:
                return None
            node = node[part]
        return node.unwrap() if hasattr(node, "unwrap") else node

    @property
    def hardware_name(self) -> str:
        """The hardware preset (or hardware file) the campaign refers to."""
        return str(self._lookup("hardware"))

    def hardware_sections(self) -> dict[str, dict[str, object]]:
        """Return the hardware's sections with the campaign's overrides applied."""
        base = backend.hardware_sections(self._hardware)
        over = self._lookup("hardware_overrides") or {}
        out = {sec: {**vals, **(over.get(sec) or {})} for sec, vals in base.items()}
        for sec, vals in over.items():   # a table the preset leaves out (maxwell_bloch)
            if sec not in out and isinstance(vals, dict):
                out[sec] = dict(vals)
        return out

    def get(self, key: str):
        """Return the value of a field: stored, else the preset's (hardware), else default."""
        if key in self.session:
            return self.session[key]
        spec = self.fields.get(key)
        if key.split(".")[0] in ("alternative", "statistics"):
            return None if spec is None else spec.default
        if _hardware_key(key):
            sec, k = key.split(".", 1)
            value = self.hardware_sections().get(sec, {}).get(k)
            if value is not None or spec is None or spec.kind == "float?":
                return value
            return spec.default
        value = self._lookup(key)
        if value is None and spec is not None:
            return spec.default
        return value

    def text(self, key: str) -> str:
        """Value of a field formatted for an input box."""
        return format_value(self.fields[key], self.get(key))

    def _check_stored(self, spec: FieldSpec, raw, where: str, doc_key: str) -> None:
        if spec.kind in ("float", "float?", "int") and (isinstance(raw, bool)
                                                        or not isinstance(raw, int | float)):
            raise InputError(where, doc_key, raw, spec.expected())
        try:
            parse_field(spec, format_value(spec, raw), where)
        except InputError:
            raise InputError(where, doc_key, raw, spec.expected()) from None

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
        if spec.choices == ("true", "false"):
            value = value == "true"
        if value != self.get(key):
            with self._transaction():
                self._store(key, value)
        return value

    def _store(self, key: str, value) -> None:
        if key.split(".")[0] in ("alternative", "statistics"):
            self.session[key] = value
            return
        *parents, last = self._doc_key(key).split(".")
        node = self.doc
        for part in parents:
            if part not in node:
                node[part] = tomlkit.table(is_super_table=part == "hardware_overrides")
            node = node[part]
        if value is None:
            if last in node:
                del node[last]
                self.dirty = True
        elif last not in node or node[last] != value:
            node[last] = value
            self.dirty = True

    # -- target and hypotheses ----------------------------------------------------------------
    @property
    def name(self) -> str:
        """Campaign name."""
        return str(self._lookup("name") or "untitled")

    @property
    def seed(self) -> int:
        """The campaign seed (root of every random stream)."""
        return int(self._lookup("seed") or 0)

    @property
    def target_name(self) -> str:
        """Target label, e.g. ``"Yb-174"``."""
        t = self.hardware_sections()["target"]
        return f"{t.get('species', 'Yb')}-{t.get('isotope', '174')}"

    @property
    def target(self) -> backend.TargetInfo:
        """Target summary from the physics data and the hardware's E_eg and Gamma_0."""
        hw = self.hardware_sections()
        t, las = hw["target"], hw.get("lasers", {})
        return backend.target_info(self.target_name, t.get("gamma0_per_s"), t.get("E_eg_eV"),
                                   float(las.get("imprinted_momentum_eV") or 0.0),
                                   float(las.get("imprinted_cos", 1.0)))

    def set_target(self, name: str) -> None:
        """Change species/isotope (overrides).

        Raises
        ------
        InputError
            Unknown target, or the campaign library refuses the result (e.g. a scan step above
            the new target's photon endpoint); the campaign is then unchanged.

        """
        info = backend.target_info(name)
        species, isotope = info.name.split("-", 1)
        base = backend.hardware_sections(self._hardware)["target"]
        with self._transaction():
            for key, value in (("species", species), ("isotope", isotope)):
                self._store(f"target.{key}", None if base.get(key) == value else value)
            # A preset's E_eg belongs to its own isotope: drop it when the target changes.
            if base.get("E_eg_eV") is not None and (species, isotope) != (
                    base.get("species"), base.get("isotope")):
                self._store("target.E_eg_eV", info.E_eg_eV)
            else:
                self._store("target.E_eg_eV", None)

    def apply_hardware_preset(self, name: str) -> None:
        """Refer to another hardware preset and drop the hardware overrides.

        Raises
        ------
        InputError
            Unknown preset, or a scan step lies above the preset target's E_eg/2.

        """
        presets = backend.hardware_presets()
        if name not in presets:
            raise InputError("campaign", "hardware", name, "one of " + ", ".join(presets))
        with self._transaction():
            self.doc["hardware"] = name
            self._hardware = name
            if "hardware_overrides" in self.doc:
                del self.doc["hardware_overrides"]
            self.dirty = True

    def apply_detector_preset(self, name: str) -> None:
        """Write a detector preset's knobs as detector overrides (all checked before storing).

        Raises
        ------
        InputError
            Unknown preset or a value outside a field's range.

        """
        presets = backend.detector_presets()
        if name not in presets:
            raise InputError("campaign", "detector preset", name, "one of " + ", ".join(presets))
        values = {}
        for key, value in presets[name].items():
            spec = self.fields.get(f"detector.{key}")
            values[key] = value if spec is None else parse_field(spec, format_value(spec, value))
        with self._transaction():
            for key, value in values.items():
                self._store(f"detector.{key}", value)

    def hypothesis(self, which: str = "truth") -> backend.Hypothesis:
        """Return the campaign's ("truth") or the alternative ("alternative") hypothesis."""
        osc = str(self.get("truth.oscillation"))
        return backend.Hypothesis(
            ordering=str(self.get(f"{which}.ordering")),
            m_lightest_eV=float(self.get(f"{which}.m_lightest_eV")),
            nature=str(self.get(f"{which}.nature")),
            oscillation=osc,
            bsm=str(self.get("alternative.bsm")) if which == "alternative" else "none",
        )

    # -- steps --------------------------------------------------------------------------------
    def _apply_scan(self, scan: dict[str, object]) -> None:
        """Replace ``[scan]`` by ``scan`` once the campaign library has resolved it.

        The steps are those of :func:`renpsim.campaign.campaign_from_dict` (the generators of
        :mod:`renpsim.campaign.schedule`, dwell times rounded to whole shots), so the file gives
        ``renpsim simulate`` the same steps. Nothing changes when the library refuses.
        """
        doc = self.doc.unwrap()
        doc["scan"] = {**{k: v for k, v in (doc.get("scan") or {}).items()
                          if k not in _GENERATED_SCAN_KEYS + _STEP_KEYS}, **scan}
        resolved = backend.resolve_campaign(doc, "campaign",
                                            self.path.parent if self.path is not None else None)
        self.resolved = resolved
        if "scan" not in self.doc:
            self.doc["scan"] = tomlkit.table()
        table = self.doc["scan"]
        for key in _GENERATED_SCAN_KEYS + _STEP_KEYS:
            if key in table and key not in scan:
                del table[key]
        for key, value in scan.items():
            if isinstance(value, list):
                arr = tomlkit.array()
                arr.extend(value)
                if len(value) > 3:
                    arr.multiline(True)
                value = arr
            table[key] = value
        self.steps = [Step(float(w), float(t)) for w, t in
                      zip(resolved.steps.omega_eV, resolved.steps.dwell_s, strict=True)]
        self.dirty = True

    def set_steps(self, steps: list[Step]) -> None:
        """Replace the schedule by explicit steps (checked by the campaign library first).

        Raises
        ------
        InputError
            A step outside the photon range (E_eg/2, or the endpoint moved by an imprinted
            pair momentum), a dwell time that is not positive, or no step at all.

        """
        checked = [validate_step(s.omega_eV, s.dwell_s, "campaign", i)
                   for i, s in enumerate(steps)]
        self._apply_scan({"generator": "explicit", "omega_eV": [s.omega_eV for s in checked],
                          "dwell_s": [s.dwell_s for s in checked], "order": "as_listed"})

    def generate_steps(self, generator: str, total_time_s: float, order: str = "up",
                       omega_range_eV: tuple[float, float] | None = None,
                       n_steps: int | None = None) -> None:
        """Replace the schedule by one of the campaign library's generators.

        Parameters
        ----------
        generator : str
            ``"uniform"``, ``"thresholds"`` (half of the steps within +-0.1 meV of the pair
            thresholds of the truth hypothesis) or ``"gp21"`` (the paper's three points).
        total_time_s : float
            Total wall time, split equally over the steps ([physics §1.5]).
        order : str
            ``"up"``, ``"down"`` or ``"random"`` (seeded by the campaign seed).
        omega_range_eV : (float, float), optional
            Lowest and highest trigger energy (not for ``"gp21"``); written as the offsets
            below E_eg/2 of the schedule schema ([hardware §7.1]).
        n_steps : int, optional
            Number of steps (not for ``"gp21"``).

        Raises
        ------
        InputError
            The library refuses the schedule (named by its ``scan`` key).

        """
        scan: dict[str, object] = {"generator": generator, "total_time_s": total_time_s,
                                   "order": order}
        if generator != "gp21":
            lo, hi = omega_range_eV
            if not lo < hi:
                raise InputError("schedule", "omega range", (lo, hi), "low < high (eV)")
            half = self.target.E_eg_eV / 2.0
            scan.update(n_steps=n_steps, offset_min_eV=half - hi, offset_max_eV=half - lo)
            if generator == "thresholds":
                scan.update(dense_fraction=0.5, dense_width_eV=1e-4)
        self._apply_scan(scan)

    @property
    def total_time_s(self) -> float:
        """Sum of the dwell times in seconds (the campaign's total time, [physics §1.5])."""
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
            backend.write_text_atomically(p, text)
        except OSError as exc:
            raise DataFileError(str(p), "-", f"cannot write: {exc.strerror or exc}") from None
        self.path = p
        self.dirty = False
        return p


def validate_step(omega, dwell, where: str, index: int) -> Step:
    """Return one step typed in the interface as a :class:`Step` (ranges: the library's).

    Raises
    ------
    InputError
        omega or dwell time not a number (the photon range and positive dwell times are
        checked by the campaign library when the steps are stored, :meth:`Campaign.set_steps`).

    """
    for key, value in (("omega_eV", omega), ("dwell_s", dwell)):
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            raise InputError(where, f"scan.{key}[{index}]", value, "a number")
    return Step(float(omega), float(dwell))


def load_campaign_arg(path: str | None) -> Campaign:
    """Campaign for the command-line argument: a file, a preset name (a copy), or a new one.

    Raises
    ------
    RenpsimError
        The file or preset is not a valid campaign.

    """
    if path and Path(path).exists():
        return Campaign.load(path)
    preset = backend.campaign_preset_path(path) if path and not path.endswith(".toml") else None
    if preset is not None:
        campaign = Campaign.load(preset)
        campaign.path = None  # a copy: saving asks for a file name
        return campaign
    campaign = Campaign.new()
    campaign.path = Path(path) if path else None
    return campaign
