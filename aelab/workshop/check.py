"""Checking a handout's TODOs: a student's lines run in a process of their own, with a time limit.

    python -m aelab.workshop check [DIR] [--todo N ...] [--timeout S]

Each TODO's lines run on their own, with fixed inputs, fixed weights and
stand-ins for the other TODOs (aelab/workshop/todos.py), in a child process
(aelab/workshop/observe.py) whose standard input is closed. A TODO that runs
past its time limit, calls exit or crashes that process costs only its own
row (`timeout`, `error`): another child checks the TODOs left. What the lines
give is judged here, against the reference: the handout's own numbers when
this checker is a handout's (a student checking their folder), the kit's own
lines' when it is the kit's (an instructor checking a student's folder, and
`grade`), so that nothing in a student's folder can make a wrong answer pass.
"""

import collections
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata

import numpy as np

from aelab import LabError
from aelab.workshop.source import KIT, REFERENCE_FILE, WORKSHOP, Handout, Problem, files_of
from aelab.workshop.todos import TODOS

DEFAULT_TIMEOUT = 60.0  # seconds one TODO's checks may take
START_TIMEOUT = 600.0   # seconds a child may take to start (TensorFlow) before its first TODO
POLL = 0.2              # seconds between two looks for Ctrl-C while waiting
# A row of the table: the TODO, its cell (one of CELLS) and what to say.
Row = collections.namedtuple("Row", "todo cell text")
CELLS = ("ok", "not filled", "wrong", "error", "timeout")
NOT_FILLED = "not filled in yet (saved?)"
_CHILD = ("import sys; sys.path.insert(0, sys.argv[1]); from aelab.workshop import observe; "
          "sys.exit(observe.main())")


def child_env():
    """The environment of a checking process: no bytecode written, no window opened."""
    return dict(os.environ, PYTHONDONTWRITEBYTECODE="1", MPLBACKEND="Agg")


def start_child(folder, *args):
    """A child process of the kit's checker (observe.py) in folder, standard input closed."""
    return subprocess.Popen([sys.executable, "-c", _CHILD, KIT, *map(str, args)], cwd=folder,
                            env=child_env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, encoding="utf-8")


_RUNNING = set()  # the children alive, for stop_children


def stop_children():
    """Ends every child process still running (Ctrl-C in the grader)."""
    for proc in list(_RUNNING):
        if proc.poll() is None:
            proc.kill()


class Reference:
    """The values rows are judged against, by TODO number.

    A handout's checker (this kit holds aelab/workshop_reference.json) reads
    that file; the kit's checker computes its own lines' values in a child
    process, started at once, so that it runs while the students' do.
    """

    def __init__(self):
        self._values, self._proc, self._folder = None, None, None
        self._lock = threading.Lock()
        own = os.path.join(KIT, REFERENCE_FILE)
        if os.path.isfile(own):
            with open(own, encoding="utf-8") as f:
                self._values = json.load(f)
        else:
            self._folder = tempfile.mkdtemp(prefix="aelab-reference-")
            self._proc = start_child(self._folder, "--reference", "reference.json")

    def get(self):
        with self._lock:
            return self._get()

    def _get(self):
        if self._values is None:
            while self._proc.poll() is None:  # in slices, as _Child.next, for Ctrl-C
                time.sleep(POLL)
            status = self._proc.returncode
            path = os.path.join(self._folder, "reference.json")
            if status != 0 or not os.path.isfile(path):
                raise LabError(f"the kit's own TODO lines could not be checked (exit status "
                               f"{status}); is the kit complete? Run python -m pytest in it")
            with open(path, encoding="utf-8") as f:
                self._values = json.load(f)
        return self._values

    def close(self):
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        if self._folder:
            shutil.rmtree(self._folder, ignore_errors=True)


class _Child:
    """A running child and the events it writes, read by a thread so that waits can time out."""

    TIMED_OUT = object()

    def __init__(self, folder, numbers):
        self.proc = start_child(folder, ".", *numbers)
        _RUNNING.add(self.proc)
        self.events = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                self.events.put(json.loads(line))
            except ValueError:
                pass  # not an event: a line the lines under check wrote to the descriptor itself
        self.events.put(None)

    def next(self, timeout):
        """The next event, None at the end, or TIMED_OUT after `timeout` seconds without one.

        It waits in short slices: a Ctrl-C that the system hands to another of
        this process's threads only interrupts the main one when it wakes.
        """
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                return self.events.get(timeout=min(POLL, max(0.0, left)))
            except queue.Empty:
                if left <= 0:
                    return self.TIMED_OUT

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        _RUNNING.discard(self.proc)
        return self.proc.wait()


def observe(folder, numbers, timeout, on_result):
    """Runs the observers of TODOs `numbers` of the handout in folder; on_result(n, result) for each.

    result: what observe.py wrote for TODO n, or {"end": {"kind": "timeout"}} when
    its checks ran past `timeout` seconds, or {"end": {"kind": "exited", ...}}
    when its lines ended the process. Then another child checks the rest.
    """
    pending = list(numbers)
    while pending:
        child, current = _Child(folder, pending), None
        try:
            while pending:
                event = child.next(timeout if current else START_TIMEOUT)
                if event is _Child.TIMED_OUT or event is None:
                    status = child.stop()
                    if current is None:  # the checker itself did not start: nothing to retry
                        for number in pending:
                            on_result(number, {"end": {"kind": "no start", "status": status}})
                        return
                    kind = "timeout" if event is _Child.TIMED_OUT else "exited"
                    on_result(current, {"end": {"kind": kind, "status": status,
                                                "seconds": timeout}})
                    pending.remove(current)
                    break
                if "start" in event:
                    current = event["start"]
                else:
                    on_result(event["todo"], event)
                    pending.remove(event["todo"])
                    current = None
        finally:
            child.stop()


def differs(value, message, tolerance, want):
    """Why an observed value does not match the reference value `want`, or None."""
    if message == "variables":
        for name, wanted in want.items():
            if name not in value:
                return f"there is no variable {name} (shape {wanted})"
            if value[name] != wanted:
                return f"{name} has shape {value[name]}, expected {wanted}"
        extra = sorted(set(value) - set(want))
        return f"an extra variable {extra[0]}" if extra else None
    if tolerance is None:
        same = value == want
    else:
        same = np.shape(value) == np.shape(want) and np.allclose(value, want, *tolerance)
    return None if same else message.format(got=_short(value), want=_short(want))


def _short(value):
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list) and value and isinstance(value[0], float):
        return "[" + ", ".join(f"{v:.3g}" for v in value) + "]"
    return str(value)


def judge(todo, result, want):
    """The Row of a TODO from what its lines gave (result) and its reference values (want)."""
    for key, value, message, tolerance in result.get("observations", []):
        wrong = differs(value, message, tolerance, want[key])
        if wrong:
            return Row(todo, "wrong", wrong)
    end = result.get("end")
    if end is None:
        return Row(todo, "ok", "ok")
    kind = end["kind"]
    if kind == "problem":
        return Row(todo, "wrong", end["text"])
    if kind == "timeout":
        return Row(todo, "timeout", f"still running after {end['seconds']:g} s (an endless "
                                    f"loop?); the other TODOs are checked")
    if kind == "exited":
        return Row(todo, "error", f"its lines ended the checker (exit status {end['status']}): "
                                  f"an exit() or os._exit() call, or a crash")
    if kind == "no start":
        return Row(todo, "error", f"the checker could not start (exit status {end['status']})")
    if kind == "stopped":
        return Row(todo, "error", f"stopped: {end['text']}")
    for name, got in end.get("shapes", {}).items():
        expected = want.get(f"shape of {name}", want.get("variables", {}).get(name))
        if expected is not None and got != expected:
            return Row(todo, "wrong", f"{name} has shape {got}, expected {expected}")
    return Row(todo, "error", end["text"])


def without_a_run(handout, todo):
    """The Row of a TODO that needs nothing run: not filled in, or its files unreadable; else None."""
    try:
        return None if handout.filled(todo) else Row(todo, "not filled", NOT_FILLED)
    except Problem as e:
        return Row(todo, "error", str(e))


def check_folder(folder, reference, todos=TODOS, timeout=DEFAULT_TIMEOUT, on_row=None):
    """The rows of the todos of the handout in folder, in order; on_row(row) as each is known."""
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
        rows[number] = judge(TODOS[number - 1], result, reference.get()[str(number)])
        show_ready()

    show_ready()
    observe(folder, [n for n, row in rows.items() if row is None], timeout, done)
    return [rows[todo.number] for todo in todos]


def notes(folder, reference):
    """What in a student's folder differs from the kit's checker, and is therefore not used."""
    said = []
    for name in sorted(os.listdir(os.path.join(KIT, WORKSHOP))):
        if name.endswith(".py"):
            path = os.path.join(WORKSHOP, name)
            if _bytes(os.path.join(folder, path)) != _bytes(os.path.join(KIT, path)):
                said.append(f"{path.replace(os.sep, '/')} differs from the kit's (not used)")
    try:
        with open(os.path.join(folder, REFERENCE_FILE), encoding="utf-8") as f:
            theirs = json.load(f)
    except (OSError, ValueError):
        theirs = None
    if not _close(theirs, reference.get()):
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


# ---------------------------------------------------------------- the table

def _width(text):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _cell(text, width):
    return text + " " * max(0, width - _width(text))


class Table:
    """The checker's table, a row at a time: TODO, slide section, file, result."""

    def __init__(self, todos=TODOS):
        self.title_width = max(_width(todo.title) for todo in todos)
        self.where_width = max(_width(", ".join(files_of(todo))) for todo in todos)

    def header(self):
        return f"TODO  {_cell('slide section', self.title_width)}  {_cell('file', self.where_width)}  result"

    def line(self, row):
        where = ", ".join(files_of(row.todo)).replace(os.sep, "/")
        return (f"{row.todo.number:>4}  {_cell(row.todo.title, self.title_width)}  "
                f"{_cell(where, self.where_width)}  {row.text}")


def summary(rows):
    return f"{sum(row.cell == 'ok' for row in rows)} of {len(rows)} TODOs ok"


def check(folder, numbers=None, timeout=DEFAULT_TIMEOUT):
    """Checks the TODOs (all, or `numbers`) of the handout in folder, printing the table as rows
    come; returns the exit status: 0 when every TODO checked is ok."""
    if not os.path.isfile(os.path.join(folder, REFERENCE_FILE)):
        raise LabError(f"{folder} has no {REFERENCE_FILE.replace(os.sep, '/')}: it is not a "
                       f"folder made by python -m aelab.workshop make")
    todos = [todo for todo in TODOS if not numbers or todo.number in numbers]
    table, rows = Table(), []
    reference = Reference()
    print(table.header(), flush=True)
    try:
        rows = check_folder(folder, reference, todos, timeout,
                            on_row=lambda row: (rows.append(row), print(table.line(row), flush=True)))
        if os.path.realpath(folder) != os.path.realpath(KIT):
            for note in notes(folder, reference):
                print(f"note: {note}")
    except KeyboardInterrupt:
        print(f"Interrupted: {len(rows)} of {len(todos)} TODOs checked.", file=sys.stderr)
        return 130
    finally:
        reference.close()
    print(summary(rows))
    return 0 if all(row.cell == "ok" for row in rows) else 1
