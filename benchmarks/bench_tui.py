"""Planner start-up benchmark: time from launching ``renpsim tui`` to its first filled frame.

Each start is a fresh process on a 160x48 pseudo-terminal (stdlib ``pty``; the screen is read
with ``pyte``, as a terminal would show it). The figure is the median wall time until the
Hardware tab shows its target summary ("E_eg/2 = ..."), i.e. the first frame with the campaign's
numbers in it; the reference is an empty Textual app (one ``Static``) measured the same way in
the same run. Target: under 1.5 s.
The CPU time (user + system) of each process up to that frame is reported beside, as a
figure less sensitive to a loaded machine.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import shutil
import signal
import statistics
import struct
import sys
import termios
import time
from pathlib import Path

TARGET_S = 1.5
COLS, ROWS = 160, 48
EMPTY_APP = ("from textual.app import App\n"
             "from textual.widgets import Static\n"
             "class Empty(App):\n"
             "    def compose(self):\n"
             "        yield Static('empty textual app ready')\n"
             "Empty().run()\n")


def _time_to_text(argv: list[str], text: str, timeout_s: float = 60.0) -> tuple[float, float]:
    """Launch ``argv`` on a pseudo-terminal; return the wall and CPU seconds until ``text`` is
    on the screen (CPU: user + system time of the process, stopped as soon as it is seen)."""
    import pyte

    t0 = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # child
        os.environ.update(TERM="xterm-256color", COLUMNS=str(COLS), LINES=str(ROWS))
        os.execv(argv[0], argv)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    screen = pyte.Screen(COLS, ROWS)
    stream = pyte.ByteStream(screen)
    try:
        while True:
            if time.perf_counter() - t0 > timeout_s:
                raise RuntimeError(f"{text!r} not shown within {timeout_s} s by {argv}")
            r, _, _ = select.select([fd], [], [], 0.01)
            if not r:
                continue
            try:
                chunk = os.read(fd, 1 << 16)
            except OSError:
                raise RuntimeError(f"{argv} stopped before showing {text!r}") from None
            stream.feed(chunk)
            if any(text in line for line in screen.display):
                wall = time.perf_counter() - t0
                return wall, _cpu_s(pid)
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a running process so far (``/proc/PID/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _median(argv: list[str], text: str, repeat: int) -> tuple[float, float]:
    runs = [_time_to_text(argv, text) for _ in range(repeat + 1)]
    # the first run warms the file cache and is dropped
    return (statistics.median(w for w, _ in runs[1:]), statistics.median(c for _, c in runs[1:]))


def run(quick: bool = False) -> dict:
    """Measure and print the start-up figures; return them as a dict."""
    repeat = 3 if quick else 7
    exe = shutil.which("renpsim", path=str(Path(sys.executable).parent))
    if exe is None:
        raise RuntimeError("the renpsim console script is not installed beside this Python")
    ref, ref_cpu = _median([sys.executable, "-c", EMPTY_APP], "empty textual app ready", repeat)
    print(f"empty Textual app, first frame: {ref * 1e3:.0f} ms wall, {ref_cpu * 1e3:.0f} ms CPU "
          "(reference)")
    t, cpu = _median([exe, "tui", "gp21-benchmark"], "E_eg/2 =", repeat)
    verdict = "ok" if t < TARGET_S else "SLOW"
    print(f"renpsim tui gp21-benchmark, first filled frame: {t * 1e3:.0f} ms wall = "
          f"{t / ref:.2f} x the empty app, {cpu * 1e3:.0f} ms CPU = {cpu / ref_cpu:.2f} x "
          f"(target < {TARGET_S} s: {verdict})")
    return {"empty_app_s": ref, "empty_app_cpu_s": ref_cpu, "tui_first_frame_s": t,
            "tui_first_frame_cpu_s": cpu, "ratio": t / ref, "cpu_ratio": cpu / ref_cpu,
            "target_s": TARGET_S}
