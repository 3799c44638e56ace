"""Architecture rules: the layer contract, one class per name, errors in the caller's words."""

from __future__ import annotations

import ast
import collections
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import renpsim

ROOT = Path(renpsim.__file__).resolve().parent
PYPROJECT = ROOT.parent / "pyproject.toml"


def test_import_contracts_are_kept():
    """pyproject.toml [tool.importlinter]: layers point down, front ends skip renpsim.stats."""
    from importlinter.cli import lint_imports

    assert PYPROJECT.is_file()
    assert lint_imports(config_filename=str(PYPROJECT), no_cache=True, no_logo=True) == 0


def _public_classes() -> dict[str, set[str]]:
    names: dict[str, set[str]] = collections.defaultdict(set)
    for info in pkgutil.walk_packages(renpsim.__path__, "renpsim."):
        if info.name.endswith("__main__"):
            continue
        mod = importlib.import_module(info.name)
        for name, obj in vars(mod).items():
            if inspect.isclass(obj) and obj.__module__ == info.name and not name.startswith("_"):
                names[name].add(info.name)
    return names


def test_no_two_public_classes_share_a_name():
    names = _public_classes()
    assert "Campaign" in names and "Experiment" in names   # the walk sees the package
    dupes = {k: sorted(v) for k, v in names.items() if len(v) > 1}
    assert dupes == {}


#: "--x" or "option --" in a string literal of library code (not a docstring)
_OPTION = re.compile(r"(?<![\w-])--[a-z]|option --")


def _library_strings():
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if rel.parts[0] == "cli":   # the one place that speaks of options
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = set()
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if (isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef
                           | ast.ClassDef) and body and isinstance(body[0], ast.Expr)
                    and isinstance(body[0].value, ast.Constant)):
                docs.add(id(body[0].value))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and id(node) not in docs):
                yield rel, node.lineno, node.value


def test_no_library_message_names_an_option():
    """Library errors name parameters and file fields; only renpsim.cli speaks of options."""
    # generated-document banners quote the command that regenerates them, and the schema
    # module's own developer entry point (python -m renpsim.runfile.schema --write) parses
    # its flags: neither is a library message
    allowed = {("campaign/docgen.py", "python -m renpsim.campaign.docgen"),
               ("runfile/schema.py", "python -m renpsim.runfile"),
               ("runfile/schema.py", "--write"), ("runfile/schema.py", "--check")}
    bad = [(str(rel), line, text[:60]) for rel, line, text in _library_strings()
           if _OPTION.search(text)
           and not any(str(rel) == f and cmd in text for f, cmd in allowed)]
    assert bad == []


def test_cli_relabels_parameter_errors_with_its_options(capsys):
    import pytest

    from renpsim.cli.main import main

    with pytest.raises(SystemExit) as exc:
        main(["sensitivity", "gp21-benchmark", "--coupling", "yS11"])
    err = capsys.readouterr().err
    assert exc.value.code == 2
    assert "option --coupling: coupling = 'yS11'" in err and len(err.strip().splitlines()) == 1
    from renpsim.errors import InputError
    from renpsim.experiment import parse_coupling

    with pytest.raises(InputError) as lib:
        parse_coupling("yS11", "vector")
    assert "--" not in str(lib.value) and lib.value.key == "coupling"


def test_run_files_are_read_by_the_runfile_package_only():
    """One run-file reader: renpsim.stats (and the experiment layer) never import h5py; they
    build datasets from renpsim.runfile.open_run, which validates every file it reads."""
    for package in ("stats", "experiment"):
        for path in sorted((ROOT / package).glob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom):
                    names = [node.module or ""]
                else:
                    continue
                assert not any(n.split(".")[0] == "h5py" for n in names), \
                    f"{path.relative_to(ROOT.parent)} imports h5py"
