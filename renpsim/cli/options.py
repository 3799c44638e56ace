"""Shared command-line option types and parsers."""

from __future__ import annotations

import math

import click


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
                self.fail(f"{value!r}: expected a value > {self.min_value:g}", param, ctx)
            if not self.min_open and result < self.min_value:
                self.fail(f"{value!r}: expected a value >= {self.min_value:g}", param, ctx)
        return result


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
