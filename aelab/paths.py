"""Paths as users type them, on Linux, macOS and Windows alike.

`pathmod` is os.path here; the tests pass ntpath to check Windows' rules
(backslashes, a trailing separator, drive letters) on any machine.
"""

import os


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
