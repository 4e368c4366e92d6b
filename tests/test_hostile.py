"""A class of hostile students graded as root with the sandbox: forgers, intruders, hogs, a daemon,
a fork loop, a link. Every attack is contained and reported in its row; the honest student's row
is whole; nothing outside the students' copies and the output files changes; nothing is left
running. The class is graded once."""

import json
import os
import re
import subprocess

import pytest

import hostile
from aelab.workshop.supervise import CHANNEL
from conftest import student_copy
from grading import (cells, copy_kit, grade_command, grade_env, read_grades, require_bwrap,
                     snapshot)

OK = ["ok"] * 10
SECRET = "CANARY-f1d2e3"  # in a file of the grader's home, where no student may read it


def make_hostile_class(base, handout, solution, kit, home, out, port):
    """The class in base/class: an honest student, forgers over a `pass` handout and its twin, and
    students whose lines reach for the grader, its files, the network, memory and processes."""
    room = base / "class"
    room.mkdir()
    student_copy(solution, room / "honest")
    for name in ("pass", "forger", "copier"):
        hostile.fill_with_pass(student_copy(handout, room / name))
    hostile.put_in_todo(room / "forger", 1, hostile.forge_empty())
    stored = json.loads((handout / "aelab" / "workshop_reference.json").read_text(encoding="utf-8"))
    hostile.put_in_todo(room / "copier", 1, hostile.forge_values(stored))
    attacks = {
        "garbler": {5: hostile.garbage()},
        "killer": {2: hostile.kill_grader()},
        "reader": {1: hostile.read(str(kit / "aelab" / "model.py")),
                   2: hostile.read("/etc/shadow"),
                   3: hostile.read(str(home / "canary.txt")),
                   4: hostile.read(str(room / "honest" / "aelab" / "model.py")),
                   6: hostile.read("/tmp/aelab-grade-*/s*/aelab/model.py"),
                   7: hostile.read(str(out / "grades.csv")),
                   9: hostile.read(str(out / "feedback" / "*.txt"))},
        "writer": {1: hostile.write(str(home / "canary.txt")),
                   2: hostile.write(str(kit / "aelab" / "workshop" / "todos.py"))},
        "caller": {1: hostile.connect(port)},
        "hog": {1: hostile.hog()},
        "daemon": {1: hostile.daemon(str(out / "grades.csv"))},
        "forker": {10: hostile.fork_loop()},
    }
    for name, todos in attacks.items():
        folder = student_copy(solution, room / name)
        for number, code in todos.items():
            hostile.put_in_todo(folder, number, code)
    linker = student_copy(solution, room / "linker")
    os.remove(linker / "aelab" / "model.py")
    os.symlink(home / "canary.txt", linker / "aelab" / "model.py")
    return room


def grade_hostile_class(base, handouts):
    """Grades the class as root with --jobs 2; returns (what grade printed, rows, checks)."""
    kit, home, out, temp = (copy_kit(base / "kit"), base / "home", base / "out", base / "temp")
    for folder in (home, out, temp):
        folder.mkdir()
    (home / "canary.txt").write_text(SECRET + "\n")
    listener = hostile.Listener()
    try:
        room = make_hostile_class(base, *handouts, kit, home, out, listener.port)
        before = {"kit": snapshot(kit), "home": snapshot(home), "class": snapshot(room)}
        done = subprocess.run(grade_command(room, out / "grades.csv", "--feedback", out / "feedback",
                                            "--jobs", 2, "--timeout", 20),
                              cwd=kit, env=grade_env(home, temp), capture_output=True,
                              text=True, encoding="utf-8", stdin=subprocess.DEVNULL)
    finally:
        listener.close()
    left = hostile.lingering([hostile.MARKER, str(temp)])
    after = {"kit": snapshot(kit), "home": snapshot(home), "class": snapshot(room)}
    return done, read_grades(out / "grades.csv"), dict(
        unchanged=before == after, left=left, connections=listener.connections,
        outputs={path: path.read_text(encoding="utf-8-sig") for path in out.rglob("*")
                 if path.is_file()})


def errors(row):
    """{TODO: its note} of the TODOs a row marks error or timeout."""
    return {int(n): text for n, text in re.findall(r"TODO (\d+): ([^;]*)", row["note"])}


def ok_todos(row):
    return {n for n, cell in enumerate(cells(row), 1) if cell == "ok"}


@pytest.mark.slow
def test_a_hostile_class_is_contained(tmp_path, handouts):
    require_bwrap()
    if os.geteuid() != 0:
        pytest.skip("graded as root, as CI and most containers do")
    done, rows, seen = grade_hostile_class(tmp_path, handouts)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-3000:]
    assert sorted(rows) == sorted(["honest", "pass", "forger", "copier", "garbler", "killer",
                                   "reader", "writer", "caller", "hog", "daemon", "forker",
                                   "linker"])
    printed = re.findall(r"^(\w+) +(\d+ of 10 ok|not graded)", done.stdout, re.M)
    assert sorted(student for student, _ in printed) == sorted(rows), done.stdout

    # Nothing outside the students' copies changed, nothing they started runs, nothing left.
    assert seen["unchanged"], "the kit, the home or the class changed"
    assert seen["left"] == []
    assert seen["connections"] == 0
    for path, text in seen["outputs"].items():
        assert SECRET not in text and not any(word in text for word in hostile.ESCAPED), path
    assert sorted(p.name for p in (tmp_path / "out").rglob("*") if p.is_file()) == sorted(
        ["grades.csv", *(f"{student}.txt" for student in rows)])

    # The honest student is whole; forgers get no more than their `pass` twin.
    assert cells(rows["honest"]) == OK and rows["honest"]["note"] == ""
    twin = ok_todos(rows["pass"])
    assert twin == set()
    assert ok_todos(rows["forger"]) <= twin and errors(rows["forger"])[1] == CHANNEL
    # The copier wrote the checker's whole conversation, with the values its handout stores:
    # only values that do not depend on the inputs pass (TODO 8's share of pixels kept).
    assert ok_todos(rows["copier"]) <= {8}
    assert set(cells(rows["copier"])) <= {"ok", "wrong"}

    # Garbage on every descriptor costs its own TODO only, and a kill of the grader fails.
    assert cells(rows["garbler"]) == OK[:4] + ["error"] + OK[5:]
    assert errors(rows["garbler"]) == {5: CHANNEL}
    assert cells(rows["killer"]) == ["ok", "error"] + OK[2:]
    assert errors(rows["killer"])[2].startswith("PermissionError")

    # Every reach outside is blocked, and said so in the row.
    assert set(errors(rows["reader"])) == {1, 2, 3, 4, 6, 7, 9}
    for number, text in errors(rows["reader"]).items():
        assert text.startswith("RuntimeError: blocked: "), (number, text)
    said = {"writer": {1: "blocked: ", 2: "blocked: "}, "caller": {1: "blocked: "},
            "hog": {1: "blocked: MemoryError"}, "daemon": {1: "daemon "}, "forker": {10: "forked "}}
    for student, attacks in said.items():
        assert set(errors(rows[student])) == set(attacks), student
        for number, what in attacks.items():
            assert errors(rows[student])[number].startswith(f"RuntimeError: {what}"), student
        assert ok_todos(rows[student]) == set(range(1, 11)) - set(attacks), student
    forked = int(re.search(r"forked (\d+), then", errors(rows["forker"])[10]).group(1))
    assert forked < 200

    assert rows["linker"]["note"] == ("unsafe folder: 'aelab/model.py' is a link; nothing was "
                                      "checked")
