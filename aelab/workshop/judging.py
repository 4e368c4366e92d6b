"""Judging a TODO: its row, from what a checking process gave for it and the reference values.

A TODO is `ok` only when every value the reference holds for it was observed
and matches, each compared with the reference's own tolerance and explained
with the reference's own message: what a checking process sends is a student's
lines' word, and only its values are used. A TODO file Python cannot compile
(a SyntaxError anywhere in it), or a missing one, fails every TODO whose scripts
import it (`not_compiled`), each row quoting the file, line and text, before anything runs.
"""

import ast
import collections
import functools
import os

import numpy as np

from aelab.workshop.observers import VARIABLES
from aelab.workshop.source import KIT, Problem, files_of, handout_files, parse
from aelab.workshop.supervise import CHANNEL

# A row of the table: the TODO, its cell ("ok", "not filled", "wrong", "error" or "timeout")
# and what to say.
Row = collections.namedtuple("Row", "todo cell text")
NOT_FILLED = "not filled in yet (saved?)"
KILLED = (-9, 128 + 9)  # the exit status of a checking process killed, outside and in the sandbox


def differs(value, want, message, tolerance, kind):
    """Why an observed value does not match the reference value `want`, or None."""
    if kind == VARIABLES:
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
    return str(value)[:80]


def _printable(text):
    """text on one line, as a row shows it."""
    return "".join(c if c.isprintable() else " " for c in text)


def judge(todo, result, want):
    """The Row of a TODO from what its checking process gave (result: observations and end) and its
    reference values (want: {key: [value, message, tolerance, kind]})."""
    if not want:
        return Row(todo, "error", "the reference holds no values for this TODO: is "
                                  "aelab/workshop_reference.json complete?")
    observed, missing = result["observations"], None
    for key, (wanted, message, tolerance, kind) in want.items():
        if key not in observed:
            missing = key
            break
        try:
            wrong = differs(observed[key], wanted, message, tolerance, kind)
        except (TypeError, ValueError, KeyError, AttributeError):
            wrong = f"{key}: what the lines gave cannot be compared with the reference"
        if wrong:
            return Row(todo, "wrong", _printable(wrong))
    end = result["end"]
    if end is None:
        if missing:
            return Row(todo, "error", f"its checks stopped before {missing!r} was observed")
        return Row(todo, "ok", "ok")
    return _ended(todo, end, want)


def _ended(todo, end, want):
    """The Row of a TODO whose checks did not run to their end."""
    kind = end["kind"]
    if kind == "problem":
        return Row(todo, "wrong", _printable(end["text"]))
    if kind == "timeout":
        return Row(todo, "timeout", f"still running after {end['seconds']:g} s (an endless "
                                    f"loop?); the other TODOs are checked")
    if kind == "bound":
        return Row(todo, "timeout", f"not checked: this student's lines ran past their bound of "
                                    f"{end['seconds']:g} s in all")
    if kind == "memory":
        return Row(todo, "error", f"its lines held more than a check's memory limit "
                                  f"({end['limit'] / (1 << 30):.1f} GiB, all its processes "
                                  f"together): the checker was killed; the other TODOs are checked")
    if kind == "exited" and end["status"] in KILLED:
        return Row(todo, "error", "the checker was killed (SIGKILL) as its lines ran: the machine "
                                  "ran out of memory, or it was ended from outside; check this "
                                  "student again alone")
    if kind == "exited":
        return Row(todo, "error", f"its lines ended the checker (exit status {end['status']}): "
                                  f"an exit() or os._exit() call, or a crash")
    if kind == "channel":
        return Row(todo, "error", CHANNEL)
    if kind == "no start":
        return Row(todo, "error", f"the checker could not start (exit status {end['status']})")
    if kind == "stopped":
        return Row(todo, "error", _printable(f"stopped: {end['text']}"))
    variables = next((value for value, _, _, kind in want.values() if kind == VARIABLES), {})
    for name, got in end.get("shapes", {}).items():
        expected = want.get(f"shape of {name}", [variables.get(name)])[0]
        if expected is not None and got != expected:
            return Row(todo, "wrong", _printable(f"{name} has shape {got}, expected {expected}"))
    return Row(todo, "error", _printable(end["text"]))


@functools.lru_cache(maxsize=None)
def imported(path):
    """The handout files ("/" paths) the kit's own file `path` imports, itself and its imports'
    imports included: what a script of that file runs."""
    modules = {os.path.splitext(file.replace(os.sep, "/"))[0].replace("/", "."): file
               for file in handout_files()}
    found, waiting = set(), [path]
    while waiting:
        file = waiting.pop()
        if file in found:
            continue
        found.add(file)
        with open(os.path.join(KIT, file), "rb") as f:
            data = f.read()
        try:  # bytes: Python's own reading, a coding line included
            tree = parse(data)
        except (SyntaxError, ValueError):  # a kit's file edited until it does not compile
            continue
        for node in ast.walk(tree):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            waiting += [modules[name] for name in names if name in modules]
    return found


def _compiled(handout, path):
    """Why Python cannot compile the handout's file `path` as it is (or find it), in one line,
    or None."""
    try:
        text = handout.read(path)
        if text is None:
            return f"{path.replace(os.sep, '/')} is missing"
        compile(text, path, "exec", dont_inherit=True)
    except Problem as e:
        return str(e)
    except SyntaxError as e:
        lines = text.splitlines()
        line = lines[e.lineno - 1].strip() if e.lineno and e.lineno <= len(lines) else ""
        return _printable(f"{type(e).__name__} in {path.replace(os.sep, '/')} line {e.lineno}: "
                          f"{e.msg}: {line}")
    except ValueError as e:  # a null byte, say
        return _printable(f"{path.replace(os.sep, '/')} cannot be compiled: {e}")
    return None


def not_compiled(handout, todo):
    """The error Row of a TODO whose scripts import a file of the handout that Python cannot
    compile, or that is missing; else None."""
    for file in sorted({f for own in files_of(todo) for f in imported(own)} & {
            f for other in handout.todos for f in files_of(other)}):
        why = _compiled(handout, file)
        if why:
            if file in files_of(todo):
                return Row(todo, "error", why)
            return Row(todo, "error", f"{why} (this TODO's script imports "
                                      f"{file.replace(os.sep, '/')}, so it cannot run)")
    return None


def without_a_run(handout, todo):
    """The Row of a TODO that needs nothing run: not filled in, its files unreadable, or a file
    its scripts import not compiled; else None."""
    try:
        return not_compiled(handout, todo) if handout.filled(todo) else Row(
            todo, "not filled", NOT_FILLED)
    except Problem as e:
        return Row(todo, "error", str(e))
