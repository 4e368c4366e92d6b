"""Paths as users type them, on Linux, macOS and Windows alike, and files written whole.

`pathmod` is os.path here; the tests pass ntpath to check Windows' rules
(backslashes, a trailing separator, drive letters) on any machine.
"""

import os
import secrets


def beside(folder, suffix, pathmod=os.path):
    """The name of a sibling of folder: folder + suffix, whatever separator ends what was typed.

    beside("run/", ".old") is "run.old", and so is beside("run\\\\", ".old", ntpath).
    """
    return pathmod.normpath(folder) + suffix


def shown(path, start=os.curdir, pathmod=os.path):
    """path relative to start where it can be, else as it is (on another drive, on Windows)."""
    try:
        return pathmod.relpath(path, start)
    except ValueError:  # Windows: no relative path from C: to D:
        return path


def write_whole(path, text, encoding="utf-8"):
    """Writes text to path through a file beside it renamed over it: path is whole, old or new,
    whatever stops the program half way. Its mode is open()'s (what the umask leaves of 0o666),
    so that a run's files read as any other file of its user's does."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    part = os.path.join(folder, f"{os.path.basename(path)}.{secrets.token_hex(4)}.part")
    try:
        with open(os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), "w",
                  encoding=encoding, newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(part, path)
    except BaseException:
        if os.path.exists(part):
            os.remove(part)
        raise
