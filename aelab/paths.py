"""Paths as users type them, on Linux, macOS and Windows alike, and files written whole.

`pathmod` is os.path here; the tests pass ntpath to check Windows' rules
(backslashes, a trailing separator, drive letters) on any machine.
"""

import os
import tempfile


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
    whatever stops the program half way."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    f = tempfile.NamedTemporaryFile("w", encoding=encoding, newline="", dir=folder,
                                    prefix=os.path.basename(path) + ".", suffix=".part",
                                    delete=False)
    try:
        with f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(f.name, path)
    except BaseException:
        if os.path.exists(f.name):
            os.remove(f.name)
        raise
