"""Crash-safe file writing: write to a temporary file beside the target, then rename.

A reader or a crash never sees a partial file under the final name; an existing file there stays
intact until the new one is complete (``os.replace`` is atomic on POSIX within one directory).

Every writer of renpsim (run files, CSV and HDF5 tables, plots, reports) names its temporary
file ``.<name>.partial-<pid>`` beside the final name. A temporary whose process no longer runs is
a leftover of a crash (SIGKILL, power loss): the next write to the same name removes it and
reports it (a warning on the ``renpsim`` logger, shown on stderr), and :func:`clean_partials`
finds (and removes) them for a file or a whole folder.

The same module holds the guards every reader and writer goes through (one rule for each):

* :func:`check_output`: an output is a regular file (or a new name) in an existing, writable
  folder, is not one of the command's inputs, and its name fits the file system once the
  temporary suffix is added (long names get a shortened, hashed temporary name);
* :func:`check_input`: an input is not a FIFO, device or socket (reading one would hang);
* :func:`os_error`: one mapping of environment faults (ENOSPC, EROFS, EACCES, ENAMETOOLONG,
  EDQUOT, EIO, EPIPE, also when h5py wraps them in ``RuntimeError``/``OSError`` with only
  ``errno = N`` in the text) to a one-line :class:`~renpsim.errors.FileSystemError` naming the
  user's file.
"""

from __future__ import annotations

import contextlib
import errno as _errno
import hashlib
import logging
import os
import re
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from renpsim.errors import DataFileError, FileSystemError

_LOG = logging.getLogger("renpsim")

#: Temporary names of every renpsim writer: ``.<name>.partial-<pid>``.
PARTIAL_RE = re.compile(r"^\.(?P<name>.+)\.partial-(?P<pid>\d+)$")


#: Longest pid suffix a temporary name may need (Linux pid_max is at most 2**22).
_PID_DIGITS = 7


def _name_max(folder: Path) -> int:
    try:
        return int(os.pathconf(folder if str(folder) else ".", "PC_NAME_MAX"))
    except (OSError, ValueError):
        return 255


def _tmp_stem(name: str, folder: Path) -> str:
    """Return the ``<name>`` part of the temporary name (the final name or a hashed short form).

    A final name near the file system's limit (255 bytes) would not fit once ``.`` and
    ``.partial-<pid>`` are added; such names use their first characters plus a hash.
    """
    room = _name_max(folder) - len(".") - len(".partial-") - _PID_DIGITS
    if len(name.encode("utf-8", "surrogateescape")) <= room:
        return name
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    head = name.encode("utf-8", "surrogateescape")[: max(0, room - 17)]
    return head.decode("utf-8", "ignore") + "~" + digest


def partial_name(final: Path, pid: int | None = None) -> Path:
    """Return the temporary name ``.<name>.partial-<pid>`` beside ``final``.

    ``<name>`` is shortened (with a hash) when the whole would exceed the file-name limit.
    """
    final = Path(final)
    pid = os.getpid() if pid is None else pid
    return final.with_name(f".{_tmp_stem(final.name, final.parent)}.partial-{pid}")


# -- environment faults ------------------------------------------------------------------------
_ERRNO_HINTS = {
    _errno.ENOSPC: "free space or choose another folder",
    _errno.EDQUOT: "free space or choose another folder",
    _errno.EROFS: "choose a writable folder",
    _errno.EACCES: "choose a folder you may write to",
    _errno.ENAMETOOLONG: "choose a shorter name",
    _errno.EPIPE: "the reader went away",
}
#: Errors that only writing can cause: a reader seeing one passes it on (the output is at fault).
WRITE_FAULTS = frozenset({_errno.ENOSPC, _errno.EDQUOT, _errno.EROFS, _errno.EFBIG})
_H5_ERRNO = re.compile(r"errno\s*=\s*(\d+)")


def errno_of(exc: BaseException) -> int | None:
    """Return the errno behind an exception, also when h5py wrapped it in its message text.

    h5py reports file-system failures as ``OSError`` or ``RuntimeError`` whose ``errno`` is
    None and whose text carries ``errno = 28``; HDF5 write failures on a full disk often carry
    no errno at all (None is returned then).
    """
    code = getattr(exc, "errno", None)
    if isinstance(code, int):
        return code
    m = _H5_ERRNO.search(str(exc))
    if m:
        return int(m.group(1))
    cause = exc.__cause__ or exc.__context__
    if cause is not None and cause is not exc:
        return errno_of(cause)
    return None


def is_environment_fault(exc: BaseException) -> bool:
    """Return True for an ``OSError`` (any) or an h5py ``RuntimeError`` carrying an errno."""
    if isinstance(exc, OSError):
        return True
    return isinstance(exc, RuntimeError) and errno_of(exc) is not None


def os_error(exc: BaseException, path: str | os.PathLike | None, action: str,
             cls: type[DataFileError] = FileSystemError) -> DataFileError:
    """Turn an environment fault into the one-line error naming the user's file.

    Parameters
    ----------
    exc : BaseException
        The ``OSError`` (or h5py ``RuntimeError``/``OSError``) raised by the operation.
    path : path-like or None
        The user's file (never the temporary name); None uses the exception's own file name.
    action : str
        What was being done, e.g. ``"cannot write"``.
    cls : type
        The error class (:class:`~renpsim.errors.RunFileError` for run files, whose writers
        promise that type).

    Returns
    -------
    DataFileError
        To be raised by the caller (``raise os_error(exc, path, "cannot write") from None``).

    """
    code = errno_of(exc)
    where = str(path) if path is not None else str(getattr(exc, "filename", None) or "-")
    if code is not None:
        name = _errno.errorcode.get(code, str(code))
        words = os.strerror(code)
        hint = _ERRNO_HINTS.get(code)
        return cls(where, "-", f"{action}: {words} ({name}{'; ' + hint if hint else ''})")
    text = " ".join(str(exc).split())
    if len(text) > 120:
        text = text[:117] + "..."
    return cls(where, "-", f"{action}: {text or type(exc).__name__}")


# -- guards --------------------------------------------------------------------------------------
_KINDS = ((stat.S_ISREG, "a file"), (stat.S_ISDIR, "a folder"),
          (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISSOCK, "a socket"))


def _kind(mode: int) -> str:
    for test, words in _KINDS:
        if test(mode):
            return words
    return "not a regular file"


def check_input(path: str | os.PathLike, field: str = "-") -> None:
    """Refuse an input that is a FIFO, device or socket (reading it would block or never end).

    Missing files and folders are left to the reader (which knows what it expected).

    Raises
    ------
    FileSystemError
        If ``path`` exists and is neither a regular file nor a folder.

    """
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
        raise FileSystemError(str(path), field, f"is {_kind(st.st_mode)}: expected a regular "
                              "file")


def check_output(path: str | os.PathLike, *, inputs: Iterable[str | os.PathLike] = (),
                 folder: bool = False) -> Path:
    """Check an output name before anything is computed or written.

    Parameters
    ----------
    path : path-like
        The final name given by the user.
    inputs : iterable of path-like
        The inputs of the same command; the output may not be one of them (same resolved path
        or same device and inode, so hard links and symbolic links count as the same file).
    folder : bool
        The output is a folder of files (created if missing) instead of one file.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    FileSystemError
        A device, FIFO, socket or folder (a file, for ``folder``) under the name, a missing or
        read-only parent folder, a name longer than the file system allows, or an input.

    """
    p = Path(path)
    where = str(path)
    if not str(path) or p.name in ("", ".", ".."):
        raise FileSystemError(where, "-", "expected a file name")
    parent = p.parent
    if not parent.is_dir():
        raise FileSystemError(where, "-", f"the folder {str(parent)!r} does not exist")
    limit = _name_max(parent)
    if len(p.name.encode("utf-8", "surrogateescape")) > limit:
        raise FileSystemError(where, "-", f"file name too long ("
                              f"{len(p.name.encode('utf-8', 'surrogateescape'))} bytes): "
                              f"expected at most {limit} bytes")
    try:
        st = os.stat(p)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise os_error(exc, where, "cannot use as output") from None
    if st is not None:
        ok = stat.S_ISDIR(st.st_mode) if folder else stat.S_ISREG(st.st_mode)
        if not ok:
            raise FileSystemError(where, "-", f"is {_kind(st.st_mode)}: expected "
                                  + ("a folder" if folder else "a regular file or a new name")
                                  + " (it is never replaced)")
        for inp in inputs:
            if inp is None:
                continue
            try:
                ist = os.stat(inp)
            except (OSError, ValueError):
                continue
            if (ist.st_dev, ist.st_ino) == (st.st_dev, st.st_ino):
                raise FileSystemError(where, "-", f"is also an input of this command ({inp}): "
                                      "expected a different output name")
    target = p if folder and st is not None else parent
    if not os.access(target, os.W_OK | os.X_OK):
        code = _errno.EROFS if _read_only(target) else _errno.EACCES
        raise os_error(OSError(code, os.strerror(code)), where, "cannot write")
    return p


def _read_only(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def pid_alive(pid: int) -> bool:
    """Return True when a process with this id runs (on this machine); zombies are dead."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:   # Linux: a killed process not yet reaped by its parent is a zombie ("Z")
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


def fsync_path(path: Path) -> None:
    """Fsync a file (or directory) by path."""
    flags = os.O_RDONLY
    if hasattr(os, "O_DIRECTORY") and path.is_dir():
        flags |= os.O_DIRECTORY
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def clean_partials(path: str | os.PathLike, *, remove: bool = True) -> list[Path]:
    """Find (and by default delete) temporary files left by writers that no longer run.

    Parameters
    ----------
    path : path-like
        A final file name (only its own temporaries are considered) or a directory (all
        ``.*.partial-<pid>`` files in it).
    remove : bool
        Delete the stale temporaries (default). Temporaries of a live process are never touched.

    Returns
    -------
    list of pathlib.Path
        The stale temporaries found (deleted when ``remove``).

    """
    p = Path(path)
    if p.is_dir():
        directory, only = p, None
    else:
        directory, only = p.parent, _tmp_stem(p.name, p.parent)
    found = []
    try:
        entries = sorted(directory.iterdir())
    except OSError:
        return []
    for entry in entries:
        m = PARTIAL_RE.match(entry.name)
        if not m or (only is not None and m["name"] != only):
            continue
        if pid_alive(int(m["pid"])):
            continue
        found.append(entry)
        if remove:
            try:
                entry.unlink()
            except OSError:
                pass
    return found


def remove_stale_partials(path: Path) -> list[Path]:
    """Remove the leftovers of crashed writers of ``path`` and report each (logger warning)."""
    stale = clean_partials(path)
    for s in stale:
        _LOG.warning("renpsim: removed %s, a partial file left by a writer that stopped", s)
    return stale


def atomic_write(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp_path)`` and move the result to ``path`` atomically.

    Parameters
    ----------
    path : path-like
        Final file name.
    write : callable
        Writes the complete content to the temporary path it is given.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    FileSystemError
        ``path`` is not a regular file or a new name (see :func:`check_output`), or the file
        system refused the write (disk full, read-only, ...): the temporary is removed and the
        message names ``path``.

    """
    path = check_output(path)
    remove_stale_partials(path)
    tmp = partial_name(path)
    try:
        write(tmp)
        fsync_path(tmp)                   # the content is on disk before the rename
        os.replace(tmp, path)
        fsync_path(path.parent)           # and the rename itself
    except BaseException as exc:
        abandon_h5(tmp)
        discard(tmp)
        if is_environment_fault(exc):
            raise os_error(exc, path, "cannot write") from None
        raise
    return path


#: Files abandoned by :func:`abandon_h5` in this process. HDF5 may still crash while closing
#: them at interpreter exit, so the command line ends such a process with ``os._exit``.
ABANDONED_H5: list[str] = []
#: Their HDF5 identifiers, kept so that no garbage collection closes them before exit.
_KEEP_OPEN: list[Any] = []


def abandon_h5(path: str | os.PathLike) -> bool:
    """Abandon every HDF5 file still open on ``path``: nothing more reaches the disk.

    After a failed write (disk full, I/O error) HDF5 keeps the file open with unwritten
    metadata; closing it then, or HDF5's own clean-up at interpreter exit, retries the writes
    and can crash the interpreter (segmentation fault). The file is being thrown away, so its
    descriptor is pointed at an anonymous in-memory file: every later write succeeds there and
    nothing reaches the disk. The handle is kept open until the process ends (one descriptor);
    do not call ``close()`` on an abandoned file.

    Returns
    -------
    bool
        True if an open file was abandoned.

    """
    h5py = sys.modules.get("h5py")
    if h5py is None:
        return False
    target = os.path.abspath(os.fspath(path))
    try:
        ids = h5py.h5f.get_obj_ids(h5py.h5f.OBJ_ALL, h5py.h5f.OBJ_FILE)
    except Exception:
        return False
    done = False
    ABANDONED_H5.append(target)
    for fid in ids:
        try:
            name = fid.name
            name = name.decode("utf-8", "surrogateescape") if isinstance(name, bytes) else name
            if not fid.valid or os.path.abspath(name) != target:
                continue
            fd = fid.get_vfd_handle()
            # An anonymous in-memory file (sparse: only the last metadata writes use memory);
            # /dev/null would do for writes but refuses the truncation HDF5 also asks for.
            if hasattr(os, "memfd_create"):
                sink = os.memfd_create("renpsim-abandoned-h5")
            else:   # pragma: no cover - not Linux
                sink = os.open(os.devnull, os.O_RDWR)
            try:
                os.dup2(sink, fd)
            finally:
                os.close(sink)
            _KEEP_OPEN.append(fid)
            done = True
        except Exception:
            continue
    return done


@contextlib.contextmanager
def h5_written(f: Any) -> Iterator[Any]:
    """Use an open, writable ``h5py.File`` and close it; after an I/O failure abandon it.

    ``with h5_written(h5py.File(tmp, "w")) as f: ...`` replaces ``with h5py.File(...) as f``
    for files written under a temporary name: a failed write or close (disk full) does not
    leave HDF5 in a state that crashes the interpreter (see :func:`abandon_h5`).
    """
    name = f.filename
    try:
        yield f
    except (OSError, RuntimeError):
        abandon_h5(name)
        raise
    except BaseException:
        f.close()
        raise
    try:
        f.close()
    except (OSError, RuntimeError):
        abandon_h5(name)
        raise


def discard(tmp: Path) -> None:
    """Remove a temporary file, ignoring every failure (used on the error path)."""
    try:
        tmp.unlink(missing_ok=True)
    except OSError:
        pass


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
