"""A class of hostile students graded as root with the sandbox: forgers, intruders, hogs, a daemon,
a fork loop, the kernel's keyrings, memfd, a link. Every attack is contained and reported in its
row; the honest student's row is whole; nothing outside the students' copies and the output files
changes; nothing is left running. The class is graded once."""

import json
import os
import re
import subprocess

import pytest

import hostile
from aelab.workshop.supervise import CHANNEL
from aelab.workshop.todos import TODOS
from grading import cells, copy_kit, grade_command, grade_env, read_grades, require_bwrap, snapshot
from running import student_copy

N = len(TODOS)
OK = ["ok"] * N
SECRET = "CANARY-f1d2e3"  # in a file of the grader's home, where no student may read it


def attacks(kit, home, room, out, port):
    """{student: {TODO: (lines put at its top, what its row's note starts with)}}: on the solution,
    so that each row shows what an attack costs the other TODOs."""
    blocked = "RuntimeError: blocked: "
    return {
        "garbler": {5: (hostile.garbage(), CHANNEL)},
        # Reads and writes outside the copy: the kit's answers, root's files, the grader's home,
        # the other students' folders and copies, the output, the reference where graders kept it.
        "intruder": {1: (hostile.read(str(kit / "aelab" / "model.py")), blocked),
                     2: (hostile.read("/etc/shadow"), blocked),
                     3: (hostile.read(str(home / "canary.txt")), blocked),
                     4: (hostile.read(str(room / "honest" / "aelab" / "model.py")), blocked),
                     5: (hostile.write(str(home / "canary.txt")), blocked),
                     6: (hostile.read("/tmp/aelab-grade-*/s*/aelab/model.py"), blocked),
                     7: (hostile.read(str(out / "grades.csv")), blocked),
                     8: (hostile.write(str(kit / "aelab" / "workshop" / "todos.py")), blocked),
                     9: (hostile.read(str(out / "feedback" / "*.txt")), blocked),
                     10: (hostile.read("/tmp/aelab-*/*reference*"), blocked)},
        # The network, the grader's process, memory, a detached process, a fork loop.
        "rogue": {1: (hostile.connect(port), blocked),
                  2: (hostile.kill_grader(), "PermissionError: "),
                  3: (hostile.hog(), blocked + "MemoryError"),
                  4: (hostile.daemon(str(out / "grades.csv")), "RuntimeError: daemon "),
                  10: (hostile.fork_loop(), "RuntimeError: forked "),
                  # the kernel's keyrings and memory outside the limits (the seccomp filter)
                  5: (hostile.keyring("keyctl"), blocked + "Operation not permitted"),
                  6: (hostile.keyring("add_key"), blocked + "Operation not permitted"),
                  7: (hostile.memfd(), blocked + "PermissionError")},
    }


def make_hostile_class(base, handout, solution, kit, home, out, port):
    """The class in base/class: an honest student, forgers over a `pass` handout and its twin,
    students whose lines reach for the grader, its files, the network, memory and processes,
    and a folder with a link. Returns (its folder, the attacks)."""
    room = base / "class"
    room.mkdir()
    student_copy(solution, room / "honest")
    for name in ("pass", "forger", "copier"):
        hostile.fill_with_pass(student_copy(handout, room / name))
    hostile.put_in_todo(room / "forger", 1, hostile.forge_empty())
    stored = json.loads((handout / "aelab" / "workshop_reference.json").read_text(encoding="utf-8"))
    hostile.put_in_todo(room / "copier", 1, hostile.forge_values(stored))
    planned = attacks(kit, home, room, out, port)
    for name, todos in planned.items():
        folder = student_copy(solution, room / name)
        for number, (code, _) in todos.items():
            hostile.put_in_todo(folder, number, code)
    linker = student_copy(solution, room / "linker")
    os.remove(linker / "aelab" / "model.py")
    os.symlink(home / "canary.txt", linker / "aelab" / "model.py")
    return room, planned


def grade_hostile_class(base, handouts):
    """Grades the class as root with --jobs 2; returns (what grade printed, rows, checks)."""
    kit, home, out, temp = (copy_kit(base / "kit"), base / "home", base / "out", base / "temp")
    for folder in (home, out, temp):
        folder.mkdir()
    (home / "canary.txt").write_text(SECRET + "\n")
    listener = hostile.Listener()
    try:
        room, planned = make_hostile_class(base, *handouts, kit, home, out, listener.port)
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
        planned=planned, unchanged=before == after, left=left, connections=listener.connections,
        outputs={path: path.read_text(encoding="utf-8-sig") for path in out.rglob("*")
                 if path.is_file() and path.suffix != ".png"})


def errors(row):
    """{TODO: its note} of the TODOs a row marks error or timeout ("TODO 4, 5: ..." where
    several have the same)."""
    return {int(n): text for numbers, text in re.findall(r"TODO ([\d, ]+): ([^;]*)", row["note"])
            for n in numbers.split(", ")}


def ok_todos(row):
    return {n for n, cell in enumerate(cells(row), 1) if cell == "ok"}


@pytest.mark.slow
def test_a_hostile_class_is_contained(tmp_path, handouts):
    require_bwrap()
    if os.geteuid() != 0:
        pytest.skip("graded as root, as CI and most containers do")
    done, rows, seen = grade_hostile_class(tmp_path, handouts)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-3000:]
    assert sorted(rows) == sorted(["honest", "pass", "forger", "copier", "garbler", "intruder",
                                   "rogue", "linker"])
    printed = dict(re.findall(rf"^(\w+) +(\d+ of {N} ok|not graded)", done.stdout, re.M))
    assert sorted(printed) == sorted(rows), done.stdout
    for student, row in rows.items():  # grades.csv and the feedback say what grade printed
        said = seen["outputs"][tmp_path / "out" / "feedback" / f"{student}.txt"]
        if printed[student] == "not graded":
            assert row["ok"] == "0" and said.startswith(f"student: {student}\n\nnot graded: ")
        else:
            assert printed[student] == f"{row['ok']} of {N} ok", student
            assert f"\n{row['ok']} of {N} TODOs ok\n" in said, student

    # Nothing outside the students' copies changed, nothing they started runs, nothing left.
    assert seen["unchanged"], "the kit, the home or the class changed"
    assert seen["left"] == []
    assert seen["connections"] == 0
    for path, text in seen["outputs"].items():
        assert SECRET not in text and not any(word in text for word in hostile.ESCAPED), path
    assert sorted(p.name for p in (tmp_path / "out").rglob("*") if p.is_file()) == sorted(
        ["grades.csv", "grades.html", "grades.png", *(f"{student}.txt" for student in rows)])

    # The honest student is whole; forgers get no more than their `pass` twin.
    assert cells(rows["honest"]) == OK and rows["honest"]["note"] == ""
    twin = ok_todos(rows["pass"])
    assert twin == set()
    assert ok_todos(rows["forger"]) <= twin and errors(rows["forger"])[1] == CHANNEL
    # The copier wrote the checker's whole conversation, with the values its handout stores:
    # every TODO has a value that depends on the inputs, salted at each grading.
    assert ok_todos(rows["copier"]) == set()
    assert set(cells(rows["copier"])) <= {"ok", "wrong"}

    # Each attack is its own TODO's error, says it was stopped, and costs no other TODO.
    for student, todos in seen["planned"].items():
        assert set(errors(rows[student])) == set(todos), student
        for number, (_, said) in todos.items():
            assert errors(rows[student])[number].startswith(said), (student, number)
        assert ok_todos(rows[student]) == {todo.number for todo in TODOS} - set(todos), student
    forked = int(re.search(r"forked (\d+), then", errors(rows["rogue"])[10]).group(1))
    assert forked < 200  # the process limit stopped the loop

    assert rows["linker"]["note"] == ("unsafe folder: 'aelab/model.py' is a link; nothing was "
                                      "checked")
