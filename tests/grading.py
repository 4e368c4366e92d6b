"""Helpers for the grader's tests: a class's files, zips, grades.csv, and the sandbox they need."""

import csv
import os
import shutil
import sys
import zipfile

import pytest

from aelab.workshop.todos import TODOS
from running import REPO, script_env


def zip_folder(folder, path, top=""):
    """Zips folder as a student would, its files under `top/` (Windows' "Send to" adds one)."""
    with zipfile.ZipFile(path, "w") as archive:
        for here, _, files in os.walk(folder):
            for name in files:
                full = os.path.join(here, name)
                archive.write(full, os.path.join(top, os.path.relpath(full, folder)))
        archive.writestr("__MACOSX/._basic_autoencoder.py", b"junk")


def snapshot(folder):
    """Every file under folder with its size and modification time."""
    return {os.path.relpath(os.path.join(here, name), folder): (
        os.stat(os.path.join(here, name)).st_size, os.stat(os.path.join(here, name)).st_mtime_ns)
        for here, dirs, files in os.walk(folder)
        for name in files if "__pycache__" not in here and ".pytest_cache" not in here}


def read_grades(path):
    """{student: row} of a grades.csv."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


def cells(row):
    return [row[f"todo_{todo.number}"] for todo in TODOS]


def require_bwrap():
    """Isolation tests need bubblewrap: skipped without it, except in CI, where they fail."""
    if not sys.platform.startswith("linux"):
        pytest.skip("the sandbox is Linux's")
    if shutil.which("bwrap") is None:
        if os.environ.get("CI"):
            pytest.fail("bubblewrap is missing; .ci/run must install it (apt-get install -y "
                        "bubblewrap)")
        pytest.skip("no bubblewrap (sudo apt install bubblewrap)")


def sandbox_options():
    """grade's options for a test that is not about isolation: the sandbox where bwrap is."""
    if sys.platform.startswith("linux") and shutil.which("bwrap") is None and not os.environ.get("CI"):
        return ["--no-sandbox"]
    return []


def copy_kit(into):
    """A copy of the kit (its lab scripts and aelab/), to run the grader from: a copy that the
    students' lines could reach, were they not isolated, and not the repository."""
    os.makedirs(into)
    for name in os.listdir(REPO):
        if name.endswith(".py") or name == "requirements.txt":
            shutil.copy(os.path.join(REPO, name), into)
    shutil.copytree(os.path.join(REPO, "aelab"), os.path.join(into, "aelab"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    return into


def grade_env(home, temp):
    """The environment of a grade process run by the tests: its own home and temporary folder."""
    return script_env(HOME=str(home), TMPDIR=str(temp), KERAS_HOME=os.path.join(str(temp), "keras"),
                      MPLCONFIGDIR=os.path.join(str(temp), "matplotlib"))


def grade_command(room, out, *options):
    """python -m aelab.workshop grade ROOM --out OUT OPTIONS..."""
    return [sys.executable, "-m", "aelab.workshop", "grade", str(room), "--out", str(out),
            *map(str, options)]
