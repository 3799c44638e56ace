"""The README's two set-up commands are the ones CI runs, and the main job they name works."""

import importlib.util
import shlex
from pathlib import Path

import pytest

from renpsim.cli.main import main

ROOT = Path(__file__).resolve().parents[1]


def _commands():
    spec = importlib.util.spec_from_file_location("readme_commands",
                                                  ROOT / ".ci" / "readme_commands.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.setup_commands(ROOT / "README.md")


def test_readme_has_exactly_two_setup_commands_in_its_first_section():
    text = (ROOT / "README.md").read_text()
    first_section = text.split("\n## ", 1)[0]
    assert "<!-- setup-commands" in first_section
    cmds = _commands()
    assert len(cmds) == 2
    assert "pip install ." in cmds[0] and "renpsim " in cmds[0]
    assert 'pip install ".[test]"' in cmds[1] and "pytest" in cmds[1]


def test_ci_script_runs_the_readme_commands():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "readme_commands.py" in ci
    assert "mktemp -d" in ci and "no tests ran" in ci


def test_main_job_named_in_readme_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    main_job = _commands()[0].split("&&")[-1].strip()
    argv = shlex.split(main_job)
    assert argv[0] == "renpsim"
    with pytest.raises(SystemExit) as exc:
        main(argv[1:])
    assert exc.value.code == 0
    assert (tmp_path / "renpsim-report" / "summary.html").is_file()
