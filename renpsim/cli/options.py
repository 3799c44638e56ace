"""Shared command-line option types and parsers."""

from __future__ import annotations

import math
import os

import click

from renpsim._atomic import check_input, check_output
from renpsim.errors import FileSystemError


class GreedyFloats(click.Option):
    """An option that takes one or more floats: ``--omega 1.0688 1.0699 1.0711``.

    Click has no variadic options; this one consumes every following token that parses as a
    number.
    """

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("multiple", True)
        super().__init__(*args, **kwargs)
        self._previous_parser_process = None

    def add_to_parser(self, parser, ctx):  # noqa: D102
        super().add_to_parser(parser, ctx)
        for name in self.opts:
            our_parser = parser._long_opt.get(name) or parser._short_opt.get(name)
            if our_parser is None:
                continue
            previous = our_parser.process

            def process(value, state, _previous=previous):
                values = [value]
                while state.rargs and self.accepts(state.rargs[0]):
                    values.append(state.rargs.pop(0))
                for v in values:
                    _previous(v, state)

            our_parser.process = process

    def accepts(self, token: str) -> bool:
        """Whether a following token is one more value of this option."""
        return _looks_numeric(token)


class GreedyStrings(GreedyFloats):
    """An option that takes one or more words: ``--limits M7 S3`` (or ``--limits M7 --limits S3``).

    Every following token that does not start with ``-`` is one more value, so a positional
    argument cannot follow this option directly.
    """

    def accepts(self, token: str) -> bool:
        """Whether a following token is one more value of this option."""
        return not token.startswith("-")


def _looks_numeric(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


class PhaseType(click.ParamType):
    """An angle: a number in radians, or with a ``deg`` suffix in degrees (``180deg``)."""

    name = "angle"

    def convert(self, value, param, ctx):  # noqa: D102
        if isinstance(value, float):
            return value
        text = str(value).strip().lower()
        try:
            if text.endswith("deg"):
                result = math.radians(float(text[:-3]))
            else:
                result = float(text)
        except ValueError:
            self.fail(f"{value!r} is not an angle (radians, or degrees as '180deg')", param, ctx)
        if not math.isfinite(result):
            self.fail(f"{value!r} is not a finite angle", param, ctx)
        return result


class FiniteFloat(click.ParamType):
    """A finite float, optionally bounded below."""

    name = "number"

    def __init__(self, min_value: float | None = None, min_open: bool = False) -> None:
        self.min_value = min_value
        self.min_open = min_open

    def convert(self, value, param, ctx):  # noqa: D102
        try:
            result = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(result):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        if self.min_value is not None:
            if self.min_open and result <= self.min_value:
                from renpsim._numbers import bound_text  # numpy: only on this error path

                self.fail(f"{value!r}: expected a value > {bound_text(self.min_value)}",
                          param, ctx)
            if not self.min_open and result < self.min_value:
                from renpsim._numbers import bound_text

                self.fail(f"{value!r}: expected a value >= {bound_text(self.min_value)}",
                          param, ctx)
        return result


#: Library parameter (or file-field) names -> the command-line options that set them. The one
#: place where parameter names meet option names: library errors name parameters, the CLI
#: re-labels them with the option the user typed.
OPTION_OF_PARAMETER = {
    "coupling": "--coupling",
    "model": "--model",
    "nature": "--nature",
    "ordering": "--ordering",
    "fix": "--fix",
    "free": "--free",
    "profile": "--profile",
    "oscillation": "--oscillation",
    "normalisation": "--normalisation",
    "decision": "--decision",
    "n_sigma": "--sigma",
    "target_limit": "--target-limit",
    "delta_chi2": "--delta-chi2",
    "cl": "--cl",
    "dof": "--dof",
    "grid": "--masses",
    "masses": "--masses",
    "masses_eV": "--masses",
    "mediator_mass_eV": "--mediator-mass",
    "true_m_lightest_eV": "--true-m-lightest",
    "sign": "--sign",
    "sided": "--sided",
    "majorana_phases": "--majorana-phases",
    "m4_eV": "--masses",
    "scan": "--scan",
    "toys": "--toys",
    "n_toys": "--toys",
    "executor": "--executor",
    "workers": "--workers",
    "scheduler": "--scheduler",
    "scalar_phase": "--scalar-phase",
    "width_fraction": "--width-fraction",
    "plot": "--plot",
    "path": "--plot",
}

#: ``where`` values of library errors about a parameter (not a file): their ``key`` names the
#: parameter.
PARAMETER_CONTEXTS = ("parameter", "coupling", "experiment", "planning", "sensitivity",
                      "dipole element", "fit", "executor", "model", "output", "simulate",
                      "statistics")

#: ``where`` values that are themselves a parameter group set by one option (the ``key`` is an
#: item inside it, e.g. the parameter named in ``--fix NAME=VALUE`` or a key of ``--vector``).
OPTION_OF_GROUP = {"fixed": "--fix", "free": "--free", "profile": "--profile",
                   "vector": "--vector", "scalar": "--scalar", "dipole": "--dipole",
                   "coupling": "--coupling", "model": "--model"}


def option_for(parameter: str) -> str | None:
    """Return the option that sets a library parameter (``None`` if no option does)."""
    return OPTION_OF_PARAMETER.get(parameter.split("=", 1)[0].strip())


class option_errors:  # noqa: N801 (used as a context manager, reads like a function)
    """Context manager: re-label library :class:`~renpsim.errors.InputError` s with options.

    An error about a parameter (``where`` a parameter context and ``key`` a parameter set by
    an option, or ``where`` a parameter group such as ``fixed``) is raised again as
    ``option --x: key = value: expected ...``; errors about files pass unchanged.
    """

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        from renpsim.errors import InputError

        if exc is None or not isinstance(exc, InputError):
            return False
        opt = option_for(exc.key) if exc.where in PARAMETER_CONTEXTS else None
        if opt is None:
            opt = OPTION_OF_GROUP.get(exc.where)
        if opt is None:
            return False
        raise type(exc)(f"option {opt}", exc.key, exc.value, exc.expected) from None


class _Finite(click.ParamType):
    """Wrap a float type (plain or ``click.FloatRange``) so that nan and inf are refused."""

    def __init__(self, inner: click.ParamType) -> None:
        self.inner = inner
        self.name = inner.name

    def convert(self, value, param, ctx):
        result = self.inner.convert(value, param, ctx)
        if isinstance(result, float) and not math.isfinite(result):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return result

    def get_metavar(self, param, ctx=None):
        try:
            return self.inner.get_metavar(param, ctx)
        except TypeError:   # click < 8.2
            return self.inner.get_metavar(param)


def _finite_type(t: click.ParamType) -> click.ParamType:
    if isinstance(t, click.types.FloatParamType):
        return _Finite(t)
    if isinstance(t, click.Tuple):
        t.types = [_finite_type(x) for x in t.types]
    return t


class OutputPath(click.Path):
    """A file (or, with ``folder=True``, a folder) the command writes.

    The name is checked by :func:`renpsim._atomic.check_output` before the command body runs,
    together with every other output of the command: a device, FIFO or folder is never
    replaced, the output may not be an input of the same command (except those listed in
    ``may_equal``, parameter names whose in-place replacement is documented), and the folder
    must exist and be writable.
    """

    def __init__(self, *, folder: bool = False, may_equal: tuple[str, ...] = ()) -> None:
        super().__init__(dir_okay=folder, file_okay=not folder)
        self.folder = folder
        self.may_equal = may_equal


def guard_paths(command: click.Command) -> None:
    """Install the command-line path and number checks on ``command`` (and its subcommands).

    Every float parameter refuses nan and inf; before the command body runs, every argument
    or option naming an existing FIFO, device or socket is refused as an input, and every
    :class:`OutputPath` is checked against the others (all outputs before any is written).
    """
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            guard_paths(sub)
    for param in command.params:
        param.type = _finite_type(param.type)
    callback = command.callback
    if callback is None or getattr(callback, "_guarded", False):
        return

    def guarded(*args, **kwargs):
        ctx = click.get_current_context()
        outputs, inputs = [], []
        for param in command.params:
            value = ctx.params.get(param.name)
            values = value if isinstance(value, tuple | list) else (value,)
            for v in values:
                if not isinstance(v, str | os.PathLike) or not str(v):
                    continue
                if isinstance(param.type, OutputPath):
                    outputs.append((param, v))
                else:
                    inputs.append((param, v))
        for _param, v in inputs:
            check_input(v)
        for param, v in outputs:
            others = [i for p, i in inputs if p.name not in param.type.may_equal]
            try:
                check_output(v, inputs=others, folder=param.type.folder)
            except FileSystemError as exc:
                opt = max(param.opts, key=len) if param.opts else param.name
                raise FileSystemError(exc.path, f"option {opt}", exc.problem) from None
        return callback(*args, **kwargs)

    guarded._guarded = True  # type: ignore[attr-defined]
    command.callback = guarded


def _campaign_names() -> list[str]:
    from renpsim.campaign.campaign import list_campaign_presets

    return list_campaign_presets()


def complete_campaign(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """Shell completion of a CAMPAIGN argument: the shipped campaign presets."""
    return [name for name in _campaign_names() if name.startswith(incomplete)]


class CampaignCommand(click.Command):
    """A command taking a CAMPAIGN: its help ends with the names of the shipped presets."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Write the epilog, then the campaign presets (one line, wrapped at word breaks)."""
        super().format_epilog(ctx, formatter)
        with formatter.section("Campaign presets (or a path to a campaign TOML file)"):
            formatter.write_text(", ".join(_campaign_names())
                                 + ". One-line descriptions: renpsim presets campaigns.")
