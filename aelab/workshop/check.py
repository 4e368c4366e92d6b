"""Checking a handout's TODOs: python -m aelab.workshop check [DIR] [--todo N ...] [--timeout S]

Each TODO's lines run on their own, with fixed inputs, fixed weights and
stand-ins for the other TODOs (aelab/workshop/todos.py), in a checking
process (checking_process.py) whose standard input is closed, started and watched by
supervise.py: a TODO that runs past its time limit, calls exit, crashes that
process or writes to its channel costs only its own row (`timeout`,
`error`), and another process checks the TODOs left. What the lines give is
judged here (judging.py) against the reference (reference.py): the handout's
own numbers when this checker is a handout's (a student checking their
folder), the kit's own lines' when it is the kit's (an instructor checking a
student's folder, and `grade`), so that nothing in a student's folder can
make a wrong answer pass.
"""

import json
import os
import sys
import tempfile

import numpy as np

from aelab import LabError, cli
from aelab.workshop import supervise
from aelab.workshop.judging import judge, without_a_run
from aelab.workshop.reference import Reference
from aelab.workshop.source import KIT, REFERENCE_FILE, WORKSHOP, Handout
from aelab.workshop.table import Table, summary
from aelab.workshop.todos import TODOS

DEFAULT_TIMEOUT = 60.0  # seconds one TODO's checks may take


def check_folder(folder, reference, launcher, todos=TODOS, timeout=DEFAULT_TIMEOUT, on_row=None,
                 slot=0, bound=None):
    """The rows of the todos of the handout in folder, in order; on_row(row) as each is known.

    launcher starts its checking processes (supervise.Launcher); slot: the job slot it takes;
    bound: the seconds the student's lines may run in all (supervise.check_todos).
    """
    handout = Handout(folder, TODOS)
    rows = {todo.number: without_a_run(handout, todo) for todo in todos}
    shown = []

    def show_ready():
        for todo in todos[len(shown):]:
            if rows[todo.number] is None:
                return
            shown.append(rows[todo.number])
            if on_row:
                on_row(rows[todo.number])

    def done(number, result):
        rows[number] = judge(TODOS[number - 1], result, reference.judged.get(str(number), {}))
        show_ready()

    show_ready()
    supervise.check_todos(launcher, folder, [n for n, row in rows.items() if row is None], timeout,
                          done, slot, bound)
    return [rows[todo.number] for todo in todos]


def notes(folder, reference):
    """What in a student's folder differs from the kit's checker, and is therefore not used.

    A file of the checker that is missing is not used either, and says nothing: a student who
    hands in only the files with TODOs hands in all that is graded.
    """
    said = []
    for name in sorted(os.listdir(os.path.join(KIT, WORKSHOP))):
        if name.endswith(".py"):
            path = os.path.join(WORKSHOP, name)
            theirs = _bytes(os.path.join(folder, path))
            if theirs is not None and theirs != _bytes(os.path.join(KIT, path)):
                said.append(f"{path.replace(os.sep, '/')} differs from the kit's (not used)")
    try:
        with open(os.path.join(folder, REFERENCE_FILE), encoding="utf-8") as f:
            theirs = json.load(f)
    except FileNotFoundError:
        return said
    except (OSError, ValueError, RecursionError):  # RecursionError: JSON nested too deep
        theirs = None
    if not _close(theirs, reference.handout):
        said.append(f"{REFERENCE_FILE.replace(os.sep, '/')} differs from the kit's (not used)")
    return said


def _bytes(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def _close(a, b):
    """True if two plain values are equal, floats to 1e-6."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and bool(
            np.isclose(a, b, rtol=1e-6, atol=1e-9, equal_nan=True))
    return a == b


class Shown:
    """Where check shows its rows as they come: lines on a terminal (or a file), or, in a
    Jupyter cell, an HTML table redrawn in place (a browser's font does not give a Korean
    character exactly two columns, so padded text would not line up there)."""

    def __init__(self, table):
        self.table, self.rows, self.handle = table, [], None
        if cli.in_a_kernel():
            from IPython.display import HTML, display
            self.html = HTML
            self.handle = display(HTML(table.html([])), display_id=True)
        else:
            print(table.header(), flush=True)

    def row(self, row):
        self.rows.append(row)
        if self.handle:
            self.handle.update(self.html(self.table.html(self.rows)))
        else:
            print(self.table.line(row), flush=True)


def check(folder, numbers=None, timeout=DEFAULT_TIMEOUT):
    """Checks the TODOs (all, or `numbers`) of the handout in folder, printing the table as rows
    come; returns the exit status: 0 when every TODO checked is ok."""
    if not os.path.isfile(os.path.join(folder, REFERENCE_FILE)):
        raise LabError(f"{folder} has no {REFERENCE_FILE.replace(os.sep, '/')}: it is not a "
                       f"folder made by python -m aelab.workshop make")
    todos = [todo for todo in TODOS if not numbers or todo.number in numbers]
    rows = []
    with tempfile.TemporaryDirectory(prefix="aelab-check-") as temp:
        launcher = None
        try:
            reference = Reference.of_handout() or Reference.of_kit()
            launcher = supervise.Launcher(supervise.copy_checker(temp), reference.salt)
            shown = Shown(Table())
            rows = check_folder(folder, reference, launcher, todos, timeout,
                                on_row=lambda row: (rows.append(row), shown.row(row)))
            if os.path.realpath(folder) != os.path.realpath(KIT):
                for note in notes(folder, reference):
                    print(f"note: {note}")
        except KeyboardInterrupt:
            if launcher:
                launcher.stop()
            print(f"Interrupted: {len(rows)} of {len(todos)} TODOs checked.", file=sys.stderr)
            return 130
    print(summary(rows))
    return 0 if all(row.cell == "ok" for row in rows) else 1
