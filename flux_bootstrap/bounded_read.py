"""Reading a file the user controls: without waiting, without filling memory, without a traceback.

Every file the program, `check` and `render` read goes through `read_bytes_bounded`. It opens
without blocking (a FIFO with no writer would otherwise wait forever), reads only a regular file
and never more than its cap + 1 bytes, and turns every refusal (missing, a folder, a pipe or a
device, a symbolic link loop, no permission, too large) into one Problem that names the file and
says how to fix it. The file's content never reaches a message.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from .errors import ConfigError, Problem

# O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
_CHUNK = 64 * 1024
_MISSING = (errno.ENOENT, errno.ENOTDIR)
_NO_PERMISSION = (errno.EACCES, errno.EPERM)
_PUT_THE_FILE = "Put the file itself at this path."


class UnreadableFile(ConfigError):
    """A file that was refused before or while reading it; `problem` says why and how to fix it."""

    def __init__(self, problem: Problem):
        super().__init__([problem])
        self.problem = problem


def present(path: Path) -> bool:
    """Whether anything is at `path`: a file, a folder, a pipe, a dangling or looping link.

    Path.exists() says no for a symbolic link loop and raises when a folder on the way cannot be
    searched. This never raises, and counts what it cannot tell as present, so that reading it
    gives a clear problem instead of silently skipping the file.
    """
    try:
        os.lstat(path)
    except OSError as err:
        return err.errno not in _MISSING
    except ValueError:  # a NUL byte in the path: reading refuses it
        return True
    return True


def read_bytes_bounded(
    path: Path, source: str, max_bytes: int, *, expected: str, missing: str, fix: str | None = None
) -> bytes:
    """The bytes of the regular file `path`, or UnreadableFile with one problem of `source`.

    `expected` names what the file should be ("a YAML config file"), `missing` is the whole
    message for a file that does not exist, and `fix`, when given, replaces the generic advice
    for every other refusal. At most `max_bytes` are accepted; a larger file is refused.
    """
    try:
        _refuse_unless_regular(os.stat(path).st_mode, source, expected, fix)
        fd = os.open(path, _OPEN_FLAGS)
    except (OSError, ValueError) as err:
        raise UnreadableFile(Problem(source, _os_refusal(path, err, expected, missing, fix))) from None
    try:
        # Checked again on what was opened: the path may have changed in between.
        _refuse_unless_regular(os.fstat(fd).st_mode, source, expected, fix)
        data = _read_at_most(fd, max_bytes + 1)
    except OSError as err:
        raise UnreadableFile(Problem(source, _os_refusal(path, err, expected, missing, fix))) from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise UnreadableFile(Problem(source, too_large_message(max_bytes, expected, fix)))
    return data


def too_large_message(max_bytes: int, expected: str, fix: str | None = None) -> str:
    return (f"is larger than {size_text(max_bytes)}, far more than {expected} needs; it was not read. "
            f"{fix or 'Check that this is the right file.'}")


def size_text(size: int) -> str:
    for unit, factor in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} bytes"


def _refuse_unless_regular(mode: int, source: str, expected: str, fix: str | None) -> None:
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        message = f"is a directory, expected {expected}. {fix or _PUT_THE_FILE}"
    else:
        message = (f"is not a regular file (a pipe, a socket or a device), expected {expected}; it was not read, "
                   f"as reading it could wait forever. {fix or _PUT_THE_FILE}")
    raise UnreadableFile(Problem(source, message))


def _os_refusal(path: Path, err: OSError | ValueError, expected: str, missing: str, fix: str | None) -> str:
    """Our words for an OS refusal: its errno, never the error's text (which holds the path)."""
    code = getattr(err, "errno", None)
    if code in _MISSING:
        if _is_link(path):
            return (f"is a symbolic link to a file that does not exist, expected {expected}. "
                    f"{fix or 'Point the link at the real file, or put the file itself at this path.'}")
        return missing
    if code == errno.ELOOP:
        return (f"is a symbolic link that loops (it leads back to itself, or a folder on its path does), "
                f"expected {expected}. {fix or 'Point the link at the real file, or put the file itself at this path.'}")
    if code in _NO_PERMISSION:
        return ("cannot be read: permission denied. "
                f"{fix or 'Give your user read access to the file and to the folders on its path.'}")
    if code == errno.ENXIO:  # a socket
        return (f"is not a regular file (a pipe, a socket or a device), expected {expected}; it was not read. "
                f"{fix or _PUT_THE_FILE}")
    reason = f" ({err.strerror})" if isinstance(err, OSError) and err.strerror else ""
    return f"cannot be read{reason}. {fix or 'Check the file and the folders on its path.'}"


def _is_link(path: Path) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except (OSError, ValueError):
        return False


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    left = limit
    while left > 0:
        chunk = os.read(fd, min(left, _CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
