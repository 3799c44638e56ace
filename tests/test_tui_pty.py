"""The planner as a real process in a pseudo-terminal: switch tabs from inside an input, edit,
save, quit, reopen and quit again (stdlib ``pty`` for the process, ``pyte`` to read its screen;
the keys are the terminal's escape codes)."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import shutil
import struct
import sys
import termios
import time
from pathlib import Path

import pyte
import pytest
from tui_helpers import GP21_TOML

F2, F3, F4, F5 = "\x1bOQ", "\x1bOR", "\x1bOS", "\x1b[15~"
CTRL_S, CTRL_Q = "\x13", "\x11"


class Terminal:
    """A child process on a 100x30 pseudo-terminal, with its output collected."""

    def __init__(self, argv: list[str], cwd: Path) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # child
            os.chdir(cwd)
            os.environ.update(TERM="xterm-256color", COLUMNS="100", LINES="30")
            os.execv(argv[0], argv)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        self.out = b""

    def read(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            r, _, _ = select.select([self.fd], [], [], 0.05)
            if r:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:
                    return
                if not chunk:
                    return
                self.out += chunk

    def screen(self) -> str:
        """The terminal's current screen as text (pyte emulation of the output so far)."""
        sc = pyte.Screen(100, 30)
        pyte.ByteStream(sc).feed(self.out)
        return "\n".join(sc.display)

    def wait_for(self, text: str, timeout: float = 60.0) -> float:
        """Wait until ``text`` is on the screen; return the time it took."""
        t0 = time.monotonic()
        while text not in self.screen():
            if time.monotonic() - t0 > timeout:
                raise AssertionError(f"{text!r} not on the screen within {timeout} s:\n"
                                     + self.screen())
            self.read(0.2)
        return time.monotonic() - t0

    def send(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def exit_status(self, timeout: float) -> int:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.read(0.1)
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
        os.kill(self.pid, 9)
        raise AssertionError("the planner did not exit")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs a Linux pty")
def test_real_terminal_edit_save_reopen_quit(tmp_path):
    exe = shutil.which("renpsim", path=str(Path(sys.executable).parent))
    assert exe is not None
    camp = tmp_path / "c.toml"
    camp.write_text(GP21_TOML, encoding="utf-8")
    term = Terminal([exe, "tui", str(camp)], tmp_path)
    term.wait_for("F1 for help")
    term.send(F3)                     # Schedule: the focus goes into its first input
    term.wait_for("low omega")
    term.send(F5)                     # from inside that input to Sensitivity ...
    term.wait_for("Degrees of freedom")
    term.send(F2)                     # ... and to Hardware: the focus is in the name field
    term.wait_for("Campaign")
    term.read(1.0)
    term.send("pty-edited")           # the focused field's text is selected: replaced
    term.wait_for("pty-edited")
    term.send(F4)                     # leaving the field (by a tab key) commits it
    term.wait_for("name = pty-edited")
    term.wait_for("I(omega)")         # and the switch to Forecast sticks
    term.send(CTRL_S)
    term.wait_for("saved")
    text = camp.read_text(encoding="utf-8")
    assert 'name = "pty-edited"' in text and "# name comment" in text   # comments kept
    term.send(CTRL_Q)
    assert term.exit_status(30) == 0
    # Reopen: the saved name is shown; quit at once (nothing to save).
    term = Terminal([exe, "tui", str(camp)], tmp_path)
    term.wait_for("pty-edited")
    term.send(CTRL_Q)
    assert term.exit_status(30) == 0
