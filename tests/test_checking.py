"""The checker's rules, without TensorFlow: the channel's protocol, the judge, the modules a
checking process gets, reading submissions without following links, grades.csv and its journal,
and the sandbox's messages."""

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import types
import zipfile

import numpy as np
import pytest

from aelab import LabError, paths
from aelab.workshop import check, grade, gradebook, judging, memcg, sandbox, source, submissions, supervise
from aelab.workshop.supervise import CHANNEL
from aelab.workshop.todos import TODOS
from grading import grade_command, read_grades, require_bwrap
from running import REPO

NUMBERS = [todo.number for todo in TODOS]

# ---------------------------------------------------------------- the channel


def line(event):
    return (json.dumps(event) + "\n").encode()


def result(number, observed=(("value", 1.0),), end=None):
    return line({"todo": number, "observations": [list(pair) for pair in observed], "end": end})


def honest(order):
    """What a checking process that is not tampered with writes for TODOs `order`."""
    lines = []
    for number in order:
        lines += [line({"start": number}), result(number)]
    return lines + [line({"start": None})]


class FakeChild:
    """A checking process that writes the lines it is given, then ends."""

    memory = None  # not killed for passing a cgroup's limit

    def __init__(self, lines):
        self.lines = list(lines)

    def next(self, timeout):
        return self.lines.pop(0) if self.lines else None

    def stop(self):
        return 0


class FakeLauncher:
    """Starts FakeChild processes: script(order, n) gives the lines of the nth process started."""

    def __init__(self, script):
        self.script, self.started = script, []

    def start(self, folder, numbers, timeout, slot=0):
        self.started.append(list(numbers))
        return FakeChild(self.script(list(numbers), len(self.started)))


def supervised(script, numbers=NUMBERS):
    """({TODO: what the supervisor settled for it}, [each process's TODOs])."""
    launcher, settled = FakeLauncher(script), {}

    def on_result(number, outcome):
        assert number not in settled, f"TODO {number} settled twice"
        settled[number] = outcome
    supervise.check_todos(launcher, "folder", list(numbers), 10, on_result)
    return settled, launcher.started


def kind(outcome):
    return outcome["end"]["kind"] if outcome["end"] else "result"


def test_an_untampered_process_checks_every_todo_in_one_go():
    settled, started = supervised(lambda order, n: honest(order))
    assert started == [list(NUMBERS)]
    assert all(settled[n] == {"observations": {"value": 1.0}, "end": None} for n in NUMBERS)


def with_lines_in(todo, extra, after_result=False):
    """An honest process whose TODO `todo` lines also write `extra` to the channel."""
    def script(order, n):
        lines = []
        for number in order:
            lines += [line({"start": number})]
            if number == todo and not after_result:
                lines += extra
            lines += [result(number)] + (extra if number == todo and after_result else [])
        return lines + [line({"start": None})]
    return script


@pytest.mark.parametrize("extra", [
    [result(1, [])] + [result(n, []) for n in NUMBERS[1:]] + [result(99, [])],  # forged results
    [result(99)],                                        # a TODO that does not exist
    [b"\x00not an event \xff\n"],                        # garbage, not UTF-8
    [b"[" * 100000 + b"\n"],                             # JSON too deep to parse
    [b"{" + b" " * (supervise.MAX_LINE + 10) + b"\n"],   # a line longer than any event
    [line({"start": 2})],                                # another TODO's start
    [line({"todo": 1, "observations": [], "end": {"kind": "timeout", "text": ""}})],  # not its own
    [line({"todo": 1, "observations": [["k", 1], ["k", 2]], "end": None})],  # a value twice
    [b'{"todo": 1, "observations": [], "end": null}'],   # no end of line: glued to the next
], ids=["forged", "todo 99", "garbage", "deep", "long", "another start", "parent's end",
        "twice", "unterminated"])
def test_lines_written_to_the_channel_cost_that_todo_alone(extra):
    settled, started = supervised(with_lines_in(1, extra))
    assert kind(settled[1]) == "channel" and judging.judge(TODOS[0], settled[1], {"k": [1, "{got}", None, "value"]}
                                                           ).text == CHANNEL
    assert all(kind(settled[n]) == "result" for n in NUMBERS[1:])
    assert started == [list(NUMBERS), list(NUMBERS[1:])]


def test_a_second_result_written_after_its_own_is_the_todos_too():
    settled, started = supervised(with_lines_in(1, [result(1)], after_result=True))
    assert kind(settled[1]) == "channel" and started[1] == list(NUMBERS[1:])


def test_lines_that_may_be_an_earlier_todos_get_a_fresh_process_first():
    """Garbage while TODO 5 runs, after 1 to 4 ran in the same process: 5 is checked again first
    in a fresh process; if its own lines write there too, it is its error."""
    settled, started = supervised(with_lines_in(5, [b"garbage\n"]))
    assert started == [list(NUMBERS), list(NUMBERS[4:]), list(NUMBERS[5:])]
    assert kind(settled[5]) == "channel"
    assert all(kind(settled[n]) == "result" for n in set(NUMBERS) - {5})


def test_lines_left_by_an_earlier_todo_cost_no_todo():
    """A thread of TODO 2's lines writes after TODO 3's result: 3 is checked again, alone
    first, and its result, clean there, stands."""
    def script(order, n):
        lines = honest(order)
        if n == 1:
            lines.insert(lines.index(result(3)) + 1, b"left by TODO 2\n")
        return lines
    settled, started = supervised(script)
    assert started == [list(NUMBERS), list(NUMBERS[2:])]
    assert all(kind(settled[n]) == "result" for n in NUMBERS)


def test_a_whole_forged_conversation_is_judged_on_its_values():
    """Lines that write the checker's whole conversation and exit leave only values to judge: a
    TODO whose values are all there and all match is the only way to ok."""
    def script(order, n):
        forged = honest(order)
        forged[1] = result(1, [])  # no values at all
        return forged
    settled, started = supervised(script)
    assert started == [list(NUMBERS)] and settled[1]["observations"] == {}
    want = {"shape": [[784, 256], "{got}", None, "value"],
            "values": [[0.5, 0.25], "{got}", [1e-3, 1e-5], "value"]}
    assert judging.judge(TODOS[0], settled[1], want).cell == "error"


def test_ends_and_timeouts():
    def script(order, n):
        if n == 1:  # TODO 1's lines exit the process
            return [line({"start": 1})]
        if n == 2:  # TODO 2 hangs
            return [line({"start": 2}), supervise._Child.TIMED_OUT]
        return honest(order)
    settled, started = supervised(script, range(1, 4))
    assert [kind(settled[n]) for n in (1, 2, 3)] == ["exited", "timeout", "result"]
    assert started == [[1, 2, 3], [2, 3], [3]]
    exited = {"observations": {}, "end": {"kind": "exited", "status": 1, "seconds": None}}
    assert judging.judge(TODOS[0], exited, {"k": [1, "{got}", None, "value"]}).text.startswith(
        "its lines ended the checker (exit status 1): an exit() or os._exit() call, or a crash")
    for status in (-9, 137):  # the out-of-memory killer's signal is no exit() call of theirs
        exited["end"]["status"] = status
        assert judging.judge(TODOS[0], exited, {"k": [1, "{got}", None, "value"]}).text.startswith(
            "the checker was killed (SIGKILL) as its lines ran: the machine ran out of memory")
    nothing, _ = supervised(lambda order, n: [], range(1, 4))
    assert {kind(outcome) for outcome in nothing.values()} == {"no start"}


def test_a_check_its_cgroup_killed_for_memory_says_so():
    """TODO 2's lines end the process, and its memory cgroup counted an out-of-memory kill: the
    row names the check's limit; another process checks the TODOs left."""
    launcher, settled = FakeLauncher(lambda order, n: [line({"start": order[0]})] if n == 1
                                     else honest(order)), {}
    start = launcher.start

    def started(*args):
        child = start(*args)
        child.memory = 4 << 30 if len(launcher.started) == 1 else None
        return child
    launcher.start = started
    supervise.check_todos(launcher, "folder", [2, 3], 10, settled.__setitem__)
    assert [kind(settled[n]) for n in (2, 3)] == ["memory", "result"]
    row = judging.judge(TODOS[1], settled[2], {"k": [1, "{got}", None, "value"]})
    assert row.cell == "error" and row.text == (
        "its lines held more than a check's memory limit (4.0 GiB, all its processes together): "
        "the checker was killed; the other TODOs are checked")


@pytest.mark.parametrize("version, lines, folder", [
    (1, "5:memory:/process_api/abc\n0::/\n", "memory/process_api/abc"),  # v1 (and a v2 beside it)
    (2, "0::/system.slice/grade.service\n", "system.slice/grade.service"),
])
def test_the_graders_memory_cgroup_and_a_checks_limits(tmp_path, monkeypatch, version, lines, folder):
    """Its own memory cgroup found in /proc/self/cgroup (v1, v2); a check's group made under it
    (a folder standing for it here) with its limit, swap included; its out-of-memory kills read."""
    files = {"/proc/self/cgroup": lines, "/sys/fs/cgroup/cgroup.controllers": "cpu memory pids\n"}

    def read(path):
        if path not in files:
            raise FileNotFoundError(path)
        return files[path]
    monkeypatch.setattr(memcg, "_read", read)
    assert memcg.own() == (version, os.path.join(memcg.ROOT, folder))
    limit, swap = (("memory.limit_in_bytes", "memory.memsw.limit_in_bytes") if version == 1
                   else ("memory.max", "memory.swap.max"))
    monkeypatch.undo()  # files read for real from here; a folder made holds the swap's file
    mkdir = os.mkdir
    monkeypatch.setattr(memcg.os, "mkdir", lambda path, mode: (
        mkdir(path, mode), open(os.path.join(path, swap), "w").close()))
    group = memcg.Groups(version, str(tmp_path), 123 << 20).make()
    assert os.path.dirname(group.path) == str(tmp_path)
    assert os.path.basename(group.path).startswith(f"{memcg.PREFIX}{os.getpid()}-")
    with open(os.path.join(group.path, limit)) as f, open(os.path.join(group.path, swap)) as g:
        assert (f.read(), g.read()) == (str(123 << 20), str(123 << 20) if version == 1 else "0")
    events = os.path.join(group.path, "memory.oom_control" if version == 1 else "memory.events")
    for text, killed in (("oom_kill 0\n", False), ("oom 3\noom_kill 2\n", True)):
        with open(events, "w") as f:
            f.write(text)
        assert group.out_of_memory() == killed
    assert group.wrap(["bwrap", "x"]) == ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"',
                                          os.path.join(group.path, "cgroup.procs"), "bwrap", "x"]


def test_where_no_memory_cgroup_can_be_made_grade_says_so(tmp_path, monkeypatch):
    require_bwrap()
    monkeypatch.setattr(sandbox.memcg, "own", lambda: (None, "the memory controller is not mounted"))
    box = sandbox.Sandbox(str(tmp_path))
    assert box.group() is None and box.notes[-1] == (
        f"note: the memory controller is not mounted: each process of a check is bounded "
        f"({sandbox._gib(sandbox.limits(0)['RLIMIT_AS'])} of address space), not all of them "
        f"together; grade as root, or where your cgroup lets you make memory cgroups, to bound "
        f"a check at {sandbox._gib(sandbox.check_memory())}")


class SlowChild(FakeChild):
    """A checking process whose every line comes just inside the time limit (on a fake clock)."""

    def __init__(self, lines, clock, each):
        super().__init__(lines)
        self.clock, self.each = clock, each

    def next(self, timeout):
        if timeout < self.each:
            self.clock[0] += max(timeout, 0.0)
            return supervise._Child.TIMED_OUT
        self.clock[0] += self.each
        return super().next(timeout)


def test_a_students_lines_end_at_their_bound_whatever_they_do(monkeypatch):
    """Every line 9 s after the last, inside the TODO's limit of 10 s, and TODO 2's lines making
    the process start again: once the lines ran 50 s in all (the checker's starts not counted),
    the TODOs left end "bound", and their rows say so."""
    clock = [0.0]
    monkeypatch.setattr(supervise.time, "monotonic", lambda: clock[0])
    launcher, settled = FakeLauncher(with_lines_in(2, [b"garbage\n"])), {}
    start = launcher.start
    launcher.start = lambda *args: SlowChild(start(*args).lines, clock, 9.0)
    supervise.check_todos(launcher, "folder", NUMBERS, 10, settled.__setitem__, bound=50)
    assert launcher.started == [NUMBERS, NUMBERS[1:], NUMBERS[2:]]
    assert clock[0] == 3 * 9 + 50  # three starts, and the lines' 50 s
    assert [kind(settled[n]) for n in NUMBERS[:3]] == ["result", "channel", "result"]
    assert all(kind(settled[n]) == "bound" for n in NUMBERS[3:])
    row = judging.judge(TODOS[3], settled[4], {"k": [1, "{got}", None, "value"]})
    assert row.cell == "timeout" and row.text == ("not checked: this student's lines ran past "
                                                  "their bound of 50 s in all")


# ---------------------------------------------------------------- the judge


def test_a_todo_is_ok_only_when_every_reference_value_was_observed_and_matches():
    todo = TODOS[0]
    want = {"shape": [[784, 256], "shape {got}, expected {want}", None, "value"],
            "values": [[0.5, 0.25], "values differ", [1e-3, 1e-5], "value"]}
    every = {"observations": {"shape": [784, 256], "values": [0.5, 0.25]}, "end": None}
    assert judging.judge(todo, every, want).cell == "ok"
    some = {"observations": {"shape": [784, 256]}, "end": None}
    assert judging.judge(todo, some, want) == (todo, "error",
                                               "its checks stopped before 'values' was observed")
    assert judging.judge(todo, {"observations": {}, "end": None}, want).cell == "error"
    off = {"observations": {"shape": [784, 256], "values": [0.5, 0.3]}, "end": None}
    assert judging.judge(todo, off, want) == (todo, "wrong", "values differ")
    odd = {"observations": {"shape": "784", "values": {"a": 1}}, "end": None}
    assert judging.judge(todo, odd, want).cell == "wrong"
    weird = {"observations": {"shape": [784, 256], "values": ["a", "b"]}, "end": None}
    assert judging.judge(todo, weird, want) == (
        todo, "wrong", "values: what the lines gave cannot be compared with the reference")
    assert judging.judge(todo, every, {}).cell == "error"  # no reference: never ok


# ---------------------------------------------------------------- what a checking process gets


def test_a_checking_process_gets_the_checkers_modules_and_not_the_answers():
    modules = supervise.checker_modules()
    assert modules == sorted(os.path.join(*path.split("/")) for path in [
        "aelab/__init__.py", "aelab/argtypes.py", "aelab/input_data.py", "aelab/quiet_tensorflow.py",
        "aelab/workshop/__init__.py", "aelab/workshop/checking_process.py", "aelab/workshop/memcg.py",
        "aelab/workshop/observers.py",
        "aelab/workshop/sandbox.py", "aelab/workshop/seccomp.py", "aelab/workshop/source.py",
        "aelab/workshop/todos.py"])


def test_the_checking_process_imports_no_handout_maker(tmp_path):
    """Started from the private copy alone, its modules import, and no lab source or nbformat."""
    checker = supervise.copy_checker(str(tmp_path / "checker"))
    code = ("import sys; sys.path[0] = sys.argv[1]; from aelab.workshop import checking_process; "
            "print(sorted(m for m in sys.modules if m.startswith(('aelab', 'nbformat'))))")
    done = subprocess.run([sys.executable, "-E", "-c", code, checker], cwd=tmp_path,
                          capture_output=True, text=True, check=True)
    assert eval(done.stdout) == ["aelab", "aelab.argtypes", "aelab.input_data",
                                 "aelab.workshop", "aelab.workshop.checking_process",
                                 "aelab.workshop.memcg", "aelab.workshop.observers", "aelab.workshop.sandbox",
                                 "aelab.workshop.seccomp", "aelab.workshop.source",
                                 "aelab.workshop.todos"]


# ---------------------------------------------------------------- submissions


def handout_folder(folder):
    (folder / "aelab").mkdir(parents=True)
    (folder / "autoencoder_mnist.py").write_text("x = 1\n")
    (folder / "aelab" / "model.py").write_text("y = 2\n")
    return folder


@pytest.mark.skipif(os.name == "nt", reason="symbolic links need rights on Windows")
@pytest.mark.parametrize("where", ["aelab/model.py", "aelab", "notes/old.txt"])
def test_a_folder_with_a_link_anywhere_is_refused(tmp_path, where):
    secret = tmp_path / "secret.txt"
    secret.write_text("the instructor's")
    folder = handout_folder(tmp_path / "student")
    target = folder / where
    if target.exists():
        os.rename(target, tmp_path / "moved")
    target.parent.mkdir(exist_ok=True)
    os.symlink(secret if where != "aelab" else tmp_path, target)
    with pytest.raises(submissions.Ungradable, match=rf"^unsafe folder: '{where}' is a link; "):
        submissions.copy_folder(str(folder), str(tmp_path / "copy"))
    assert not (tmp_path / "copy").exists()


@pytest.mark.skipif(os.name == "nt", reason="POSIX links and pipes")
def test_links_to_submissions_pipes_and_a_link_put_in_late_are_refused(tmp_path, monkeypatch):
    folder = handout_folder(tmp_path / "student")
    (tmp_path / "class").mkdir()
    os.symlink(folder, tmp_path / "class" / "alias")
    os.symlink("/etc/passwd", tmp_path / "class" / "s.zip")
    found, _ = submissions.submissions(str(tmp_path / "class"))
    assert {s.student: grade.grade_one(s, str(tmp_path / "copy"), None, None, 10).notes
            for s in found} == {"alias": ["unsafe folder: it is a link; nothing was checked"],
                                "s": ["unsafe zip: it is a link; nothing was unpacked"]}
    assert not (tmp_path / "copy").exists()
    os.mkfifo(folder / "pipe")
    with pytest.raises(submissions.Ungradable, match="'pipe' is neither a file nor a folder"):
        submissions.copy_folder(str(folder), str(tmp_path / "copy"))
    os.remove(folder / "pipe")
    # A link put in place of a file after the folder was looked at, before it is copied.
    handle = submissions._open_folder(str(folder))
    listed = submissions._files(handle)
    submissions._close_folder(handle)
    os.remove(folder / "aelab" / "model.py")
    os.symlink("/etc/passwd", folder / "aelab" / "model.py")
    monkeypatch.setattr(submissions, "_files", lambda path: listed)
    with pytest.raises(submissions.Ungradable, match="'aelab/model.py' changed while it was copied"):
        submissions.copy_folder(str(folder), str(tmp_path / "copy2"))


@pytest.mark.skipif(os.name == "nt", reason="Windows has no descriptor of a folder to copy from")
def test_the_folder_copied_is_the_one_opened(tmp_path, monkeypatch):
    """A student's folder swapped for a link to another's once it was opened: the copy is still
    of the folder opened, reached through its handle."""
    folder = handout_folder(tmp_path / "class" / "blank")
    solution = handout_folder(tmp_path / "solution")
    (solution / "aelab" / "model.py").write_text("y = 'the answers'\n")
    listing = submissions._files

    def swapped(handle):
        listed = listing(handle)
        os.rename(folder, tmp_path / "moved")
        os.symlink(solution, folder)
        return listed
    monkeypatch.setattr(submissions, "_files", swapped)
    assert submissions.copy_folder(str(folder), str(tmp_path / "copy")) == []
    assert (tmp_path / "copy" / "aelab" / "model.py").read_text() == "y = 2\n"


@pytest.mark.skipif(os.name == "nt", reason="symbolic links need rights on Windows")
def test_where_folders_have_no_descriptors_each_step_is_looked_at(tmp_path, monkeypatch):
    """Windows' way, tried here: the copy is made through paths, and a link anywhere is refused."""
    monkeypatch.setattr(submissions, "_BY_FD", False)
    folder = handout_folder(tmp_path / "student")
    assert submissions.copy_folder(str(folder), str(tmp_path / "copy")) == []
    assert (tmp_path / "copy" / "aelab" / "model.py").read_text() == "y = 2\n"
    os.symlink(folder / "aelab", folder / "more")
    with pytest.raises(submissions.Ungradable, match="^unsafe folder: 'more' is a link; "):
        submissions.copy_folder(str(folder), str(tmp_path / "copy2"))
    os.remove(folder / "more")
    listing = submissions._files

    def swapped(handle):  # a link put in place of a folder after it was listed
        listed = listing(handle)
        os.rename(folder / "aelab", tmp_path / "moved")
        os.symlink(tmp_path / "moved", folder / "aelab")
        return listed
    monkeypatch.setattr(submissions, "_files", swapped)
    with pytest.raises(submissions.Ungradable, match="'aelab/model.py' changed while it was copied"):
        submissions.copy_folder(str(folder), str(tmp_path / "copy3"))


def test_folders_of_too_many_entries_or_too_deep_are_refused(tmp_path, monkeypatch):
    folder = handout_folder(tmp_path / "student")
    (folder / "a" / "b" / "c").mkdir(parents=True)
    monkeypatch.setattr(submissions, "MAX_DEPTH", 2)
    with pytest.raises(submissions.Ungradable, match="^the folder holds folders more than 2 deep"):
        submissions.copy_folder(str(folder), str(tmp_path / "copy"))
    monkeypatch.setattr(submissions, "MAX_DEPTH", 3)
    submissions.copy_folder(str(folder), str(tmp_path / "copied"))
    monkeypatch.setattr(submissions, "MAX_ENTRIES", 5)  # aelab, its model.py, the script, a, b, c
    with pytest.raises(submissions.Ungradable, match="^the folder holds more than 5 entries"):
        submissions.copy_folder(str(folder), str(tmp_path / "copy"))
    assert not (tmp_path / "copy").exists()


def test_a_windows_junction_counts_as_a_link():
    from types import SimpleNamespace
    junction = SimpleNamespace(st_mode=stat.S_IFDIR | 0o755,
                               st_file_attributes=stat.FILE_ATTRIBUTE_REPARSE_POINT)
    assert submissions._is_link(junction)
    assert not submissions._is_link(SimpleNamespace(st_mode=stat.S_IFDIR | 0o755,
                                                    st_file_attributes=0))


def test_files_far_larger_than_a_handouts_are_refused(tmp_path, monkeypatch):
    folder = handout_folder(tmp_path / "student")
    monkeypatch.setattr(submissions, "MAX_FILE", 3)
    with pytest.raises(submissions.Ungradable, match="autoencoder_mnist.py is over 0 MB"):
        submissions.copy_folder(str(folder), str(tmp_path / "copy"))


def test_a_zip_with_a_long_list_of_entries_is_refused_before_it_is_read(tmp_path, monkeypatch):
    with zipfile.ZipFile(tmp_path / "many.zip", "w") as archive:
        for i in range(3):
            archive.writestr(f"practice/{'x' * 40}{i}.py", "")
    read = []
    monkeypatch.setattr(submissions.zipfile.ZipFile, "infolist", lambda self: read.append(self))
    monkeypatch.setattr(submissions, "MAX_ENTRIES", 2)
    with pytest.raises(submissions.Ungradable, match=r"^the zip holds 3 entries in a list of 0 MB, "
                                                      r"far more than a handout's few hundred \(at "
                                                      r"most 2\); nothing was unpacked$"):
        submissions.unpack(tmp_path / "many.zip", tmp_path / "out")
    monkeypatch.setattr(submissions, "MAX_ENTRIES", 3)
    monkeypatch.setattr(submissions, "MAX_LISTING", 100)  # three entries' names are longer
    with pytest.raises(submissions.Ungradable, match="^the zip holds 3 entries"):
        submissions.unpack(tmp_path / "many.zip", tmp_path / "out")
    assert read == [] and not (tmp_path / "out").exists()


def test_a_reference_file_nested_too_deep_is_a_note(tmp_path):
    folder = handout_folder(tmp_path / "student")
    (folder / "aelab" / "workshop_reference.json").write_text("[" * 100000)
    assert "aelab/workshop_reference.json differs from the kit's (not used)" in check.notes(
        str(folder), types.SimpleNamespace(handout={}))


def test_a_mark_with_a_number_too_long_for_int_is_no_mark():
    assert source.marks(f"# TODO {'1' * 5000}: x\n# TODO 1: y\npass\n# TODO 1 끝\n", 1) == [
        (3, ["pass"])]


def test_the_grader_compiles_no_students_file(tmp_path, monkeypatch):
    """A module with bytes that are not UTF-8 in its code: only a checking process compiles it."""
    folder = handout_folder(tmp_path / "student")
    (folder / "aelab" / "model.py").write_bytes("X = '한글'\n".encode("cp949"))
    monkeypatch.setattr(source, "compile", lambda *args, **kwargs: pytest.fail("compiled"),
                        raising=False)
    assert source.Handout(str(folder), TODOS).read("aelab/model.py").startswith("X = '")
    monkeypatch.undo()
    with pytest.raises(source.Problem, match="aelab/model.py is not saved as UTF-8"):
        source.Handout(str(folder), TODOS, strict=True).read("aelab/model.py")


# ---------------------------------------------------------------- grades.csv and its journal


class Graded:
    def __init__(self, student, ok):
        self.student, self.seconds, self.notes = student, 1.0, []
        self.rows = [judging.Row(todo, "ok" if ok else "wrong", "") for todo in TODOS]


def test_grades_are_written_whole_and_a_journal_resumes_them(tmp_path):
    out = str(tmp_path / "out" / "grades.csv")
    book = gradebook.Gradebook(out, str(tmp_path / "class"))
    book.begin(str(tmp_path / "temp"))
    for student in ("a", "b", "c"):
        book.checking(student)
    book.finish(Graded("a", True), "")
    assert sorted(read_grades(out)) == ["a"]
    assert sorted(os.listdir(tmp_path / "out")) == ["grades.csv", "grades.csv.progress"]
    # The grader dies here: b and c were being checked.
    again = gradebook.Gradebook(out, str(tmp_path / "class"))
    assert again.resumed and sorted(again.rows) == ["a"] and again.stops == {"b": 1, "c": 1}
    again.begin(str(tmp_path / "temp"))
    again.checking("b")
    again.finish(Graded("b", False), "")
    again.checking("c")
    # It dies again, checking c alone: c is not checked a third time.
    third = gradebook.Gradebook(out, str(tmp_path / "class"))
    assert third.stops == {"c": 2} and sorted(third.rows) == ["a", "b"]
    third.begin(str(tmp_path / "temp"))
    third.interrupted()  # Ctrl-C holds nothing against anyone
    assert gradebook.Gradebook(out, str(tmp_path / "class")).stops == {"c": 2}
    third.close()
    assert not gradebook.Gradebook(out, str(tmp_path / "class")).resumed
    assert sorted(os.listdir(tmp_path / "out")) == ["grades.csv"]


def test_a_journal_of_another_class_is_not_taken_up(tmp_path):
    out = str(tmp_path / "grades.csv")
    gradebook.Gradebook(out, str(tmp_path / "class-a")).begin(str(tmp_path))
    with pytest.raises(LabError, match=r"grades.csv holds an unfinished grading of \S+class-a: "
                                       r"run that command again to finish it, pass another "
                                       r"--out, or delete \S+grades.csv.progress to start over"):
        gradebook.Gradebook(out, str(tmp_path / "class-b"))
    (tmp_path / "grades.csv").write_text("name,score\nkim,3\n")
    with pytest.raises(LabError, match="is not a grades table of this kit's"):
        gradebook.Gradebook(out, str(tmp_path / "class-a"))


def test_a_table_open_in_excel_stops_the_grading_with_one_line(tmp_path, monkeypatch):
    book = gradebook.Gradebook(str(tmp_path / "grades.csv"), str(tmp_path / "class"))
    book.begin(str(tmp_path))
    book.checking("a")

    def refused(path, text, encoding="utf-8-sig"):
        raise PermissionError(13, "Permission denied", path)
    monkeypatch.setattr(gradebook, "write_whole", refused)
    with pytest.raises(LabError, match=r"cannot write \S+grades.csv \(Permission denied\); close "
                                       r"it where it is open \(Excel\?\) and run the same command "
                                       r"again: it goes on from there"):
        book.finish(Graded("a", True), "")


def test_a_failed_write_leaves_the_table_as_it_was(tmp_path):
    path = tmp_path / "grades.csv"
    paths.write_whole(str(path), "old\n")
    with pytest.raises(UnicodeEncodeError):
        paths.write_whole(str(path), "한글\n", encoding="ascii")
    assert path.read_text(encoding="utf-8-sig") == "old\n" and os.listdir(tmp_path) == ["grades.csv"]


def test_grading_threads_build_one_syntax_tree_at_a_time(monkeypatch):
    """source.parse, which the grader's threads use, parses one source at a time: CPython 3.11
    shares ast.parse's recursion count between threads, and a class's grading once failed a
    student on it ("SystemError: AST constructor recursion depth mismatch")."""
    import threading
    import time
    inside, overlapped, real = [], [], source.ast.parse

    def slow(text, *args, **kwargs):
        overlapped.extend(inside)
        inside.append(text)
        time.sleep(0.05)
        inside.remove(text)
        return real(text, *args, **kwargs)
    start = threading.Barrier(4)

    def parse(n):
        start.wait()
        source.parse(f"x = {n}")
    threads = [threading.Thread(target=parse, args=(n,)) for n in range(4)]
    with monkeypatch.context() as patch:
        patch.setattr(source.ast, "parse", slow)
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert overlapped == []


@pytest.mark.skipif(os.name == "nt", reason="Windows has no umask's modes")
def test_a_file_written_whole_has_the_mode_open_gives(tmp_path):
    """grades.csv, a feedback file, model_config.json: readable as the user's other files are."""
    mask = os.umask(0o022)
    try:
        paths.write_whole(str(tmp_path / "whole"), "x")
        with open(tmp_path / "plain", "w") as f:
            f.write("x")
    finally:
        os.umask(mask)
    assert stat.S_IMODE(os.stat(tmp_path / "whole").st_mode) == 0o644
    assert os.stat(tmp_path / "whole").st_mode == os.stat(tmp_path / "plain").st_mode
    assert sorted(os.listdir(tmp_path)) == ["plain", "whole"]


def test_a_grading_with_nothing_left_to_check_starts_nothing(tmp_path):
    """The student a grader died on twice gets their row with no check (and no TensorFlow)."""
    room = tmp_path / "class"
    handout_folder(room / "kim")
    out = tmp_path / "grades.csv"
    book = gradebook.Gradebook(str(out), str(room))
    book.stops = {"kim": 1}
    book._checking = {"kim"}
    book.begin(str(tmp_path / "gone"))
    done = subprocess.run(grade_command(room, out), cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "kim  not graded: the grader stopped while checking this submission, twice" in done.stdout
    assert read_grades(out)["kim"]["note"] == ("the grader stopped while checking this "
                                               "submission, twice: not checked again")
    assert not os.path.exists(str(out) + ".progress")


@pytest.mark.skipif(os.name == "nt", reason="names of bytes that are not UTF-8 are POSIX's")
def test_names_are_data(tmp_path):
    """Whatever the students named their submissions: one row each, cells no spreadsheet takes
    for a formula, feedback files of safe names, no control character on the terminal. Each is
    given up on (as after two dead graders), so that no TensorFlow starts."""
    room = tmp_path / "class"
    raw = {"=HYPERLINK(\"x\")": "=HYPERLINK(\"x\")", "dup": "dup", "가" * 83: "가" * 83,
           "김철수".encode("cp949"): "김철수",
           "evil\x1b[31m\nkim  10 of 10 ok": "evil\\x1b[31m\\nkim  10 of 10 ok"}
    room.mkdir()
    for name in raw:
        os.rename(handout_folder(tmp_path / "made"),
                  os.path.join(os.fsencode(room), os.fsencode(name)))
    zip_handout = handout_folder(tmp_path / "zipped")
    shutil.make_archive(str(room / "dup"), "zip", zip_handout)
    students = [*raw.values(), "dup.zip"]
    out = tmp_path / "grades.csv"
    book = gradebook.Gradebook(str(out), str(room), str(tmp_path / "feedback"))
    book.stops, book._checking = dict.fromkeys(students, 1), set(students)
    book.begin(str(tmp_path / "gone"))
    done = subprocess.run(grade_command(room, out, "--feedback", tmp_path / "feedback"), cwd=REPO,
                          capture_output=True, text=True, encoding="utf-8")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "\x1b" not in done.stdout and not any(line.startswith("kim")
                                                  for line in done.stdout.splitlines())
    dup = next(line for line in done.stdout.splitlines() if line.startswith("dup "))
    assert re.match(r"dup +", dup).end() == grade.NAME_COLUMNS + 2  # not the 166 columns of "가" * 83
    assert sorted(gradebook.Gradebook(str(out), str(room))._read_rows()) == sorted(students)
    table = out.read_text(encoding="utf-8-sig")
    assert '\n"\'=HYPERLINK(""x"")",' in table and "\n=" not in table and '\n"=' not in table
    names = sorted(os.listdir(tmp_path / "feedback"))
    assert len(names) == len(students) and max(len(name.encode()) for name in names) <= 200
    assert {"dup.txt", "dup.zip.txt", "김철수.txt"} <= set(names)
    assert all(re.fullmatch(r"[^\x00-\x1f\\/:*?\"<>|]+", name) for name in names)


def test_cells_that_would_be_formulas_are_escaped_and_read_back():
    for text in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "'x", "''=x", "kim", "", "1.5"]:
        escaped = gradebook.cell(text)
        assert not escaped.startswith(gradebook.FORMULA) and gradebook.uncell(escaped) == text


# ---------------------------------------------------------------- the sandbox's messages


@pytest.mark.parametrize("platform, name", [("win32", "Windows"), ("darwin", "macOS")])
def test_elsewhere_than_linux_grade_says_in_one_line_that_nothing_is_isolated(monkeypatch,
                                                                              platform, name):
    monkeypatch.setattr(sandbox.sys, "platform", platform)
    monkeypatch.setattr(sandbox.os, "name", "nt" if platform == "win32" else "posix")
    isolated, note = sandbox.requested(no_sandbox=False)
    assert not isolated and note.startswith(f"note: students' code is not isolated on {name}: ")
    assert sandbox.requested(no_sandbox=True) == (False, sandbox.UNSANDBOXED)


def test_without_bubblewrap_grade_stops_before_checking_anyone(tmp_path):
    if not sys.platform.startswith("linux"):
        pytest.skip("the sandbox is Linux's")
    handout_folder(tmp_path / "class" / "kim")
    done = subprocess.run(grade_command(tmp_path / "class", tmp_path / "grades.csv"), cwd=REPO,
                          capture_output=True, text=True, env=dict(os.environ, PATH=str(tmp_path)))
    assert done.returncode == 1 and done.stderr.strip().splitlines() == [f"error: {sandbox.MISSING}"]
    assert os.listdir(tmp_path) == ["class"]


def test_a_bubblewrap_that_cannot_work_here_is_named_with_the_fix(tmp_path):
    if not sys.platform.startswith("linux"):
        pytest.skip("the sandbox is Linux's")
    handout_folder(tmp_path / "class" / "kim")
    fake = tmp_path / "bin" / "bwrap"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\n[ \"$1\" = --version ] && echo 'bubblewrap 0.8.0' && exit 0\n"
                    "echo 'bwrap: No permissions to creating new namespace' >&2\nexit 1\n")
    fake.chmod(0o755)
    done = subprocess.run(grade_command(tmp_path / "class", tmp_path / "grades.csv"), cwd=REPO,
                          capture_output=True, text=True,
                          env=dict(os.environ, PATH=f"{fake.parent}:{os.environ['PATH']}"))
    assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    said = done.stderr.strip()
    assert said.startswith("error: bubblewrap cannot make a sandbox here (bwrap: No permissions "
                           "to creating new namespace): ")
    assert said.endswith(", or pass --no-sandbox for submissions you trust")
    assert sorted(os.listdir(tmp_path)) == ["bin", "class"]


@pytest.mark.parametrize("settings, root, container, fix", [
    ({"kernel/apparmor_restrict_unprivileged_userns": "1"}, False, False,
     "kernel.apparmor_restrict_unprivileged_userns=0"),
    ({"kernel/unprivileged_userns_clone": "0"}, False, False, "kernel.unprivileged_userns_clone=1"),
    ({"user/max_user_namespaces": "0"}, True, False, "user.max_user_namespaces=10000"),
    ({}, True, True, "start this container with --privileged"),
    ({}, False, False, "see the sandbox in docs/workshop.md"),
])
def test_the_fix_named_fits_the_machine(monkeypatch, settings, root, container, fix):
    monkeypatch.setattr(sandbox, "_setting", settings.get)
    monkeypatch.setattr(sandbox.os, "geteuid", lambda: 0 if root else 1000)
    monkeypatch.setattr(sandbox.os.path, "exists", lambda path: container)
    assert fix in sandbox._fix()


def test_an_older_bubblewrap_makes_a_sandbox_without_what_it_lacks(tmp_path, monkeypatch):
    require_bwrap()
    checker = supervise.copy_checker(str(tmp_path / "checker"))
    assert "--size" in sandbox.Sandbox(checker)._view  # this machine's
    monkeypatch.setattr(sandbox, "bwrap_version", lambda bwrap: (0, 6))
    box = sandbox.Sandbox(checker)
    assert "--size" not in box._view and "--disable-userns" not in box._view
    assert box.notes[0].startswith("note: bubblewrap 0.6 cannot bound the size of the sandbox's "
                                   "/tmp (0.7 can)")
    supervise.probe(box)  # the real bwrap takes that command line too
    monkeypatch.setattr(sandbox, "bwrap_version", lambda bwrap: (0, 4))
    with pytest.raises(LabError, match=r"^error: bubblewrap 0.4 is too old for the sandbox \(it "
                                       r"needs 0.5 or later\): install a newer one, or pass "
                                       r"--no-sandbox for submissions you trust$"):
        sandbox.Sandbox(checker)


def test_two_gradings_never_share_a_slots_uid(tmp_path):
    require_bwrap()
    if os.geteuid() != 0:
        pytest.skip("only a root grader runs students' lines as uids of their own")
    checker = supervise.copy_checker(str(tmp_path / "checker"))
    first, second = sandbox.Sandbox(checker, slots=2), sandbox.Sandbox(checker, slots=2)
    try:
        assert len(set(first.uids + second.uids)) == 4
        first.close()
        third = sandbox.Sandbox(checker, slots=2)  # the first is done: its uids are free again
        assert third.uids == first.uids
        third.close()
    finally:
        first.close()
        second.close()


def test_a_machine_the_seccomp_filter_has_no_numbers_for_is_told_so(tmp_path, monkeypatch):
    require_bwrap()
    checker = supervise.copy_checker(str(tmp_path / "checker"))
    command, fds = sandbox.Sandbox(checker).command(["true"])
    for fd in fds:
        os.close(fd)
    assert "--seccomp" in command  # this machine's
    monkeypatch.setattr(sandbox.seccomp.platform, "machine", lambda: "riscv64")
    box = sandbox.Sandbox(checker)
    command, fds = box.command(["true"])
    assert "--seccomp" not in command and fds == []
    assert box.notes == ["note: no seccomp filter on this machine (riscv64, or a kernel without "
                         "seccomp): students' lines can use the kernel's keyrings and memfd "
                         "memory, outside the limits; grade on x86_64 or aarch64 Linux to close "
                         "them"]


def probe_the_sandbox(python, user=(), hog=()):
    """What a process in the sandbox saw (tests/sandbox_probe.py), the grader being `user`; with
    hog (LIMIT, CHILDREN, EACH), how a check of processes holding memory together ended."""
    base = tempfile.mkdtemp(prefix="aelab-probe-")  # in /tmp, where any user may go
    try:
        checker = supervise.copy_checker(os.path.join(base, "checker"))
        shutil.copy(os.path.join(REPO, "tests", "sandbox_probe.py"), checker)
        copy = os.path.join(base, "copy")
        os.mkdir(copy)
        with open(os.path.join(copy, "model.py"), "w") as f:
            f.write("x = 1\n")
        for here, dirs, files in os.walk(base):
            for name in [here, *(os.path.join(here, f) for f in files)]:
                os.chmod(name, 0o755)
        paths = ["/etc/shadow", os.path.join(REPO, "aelab", "model.py"),
                 os.path.join(copy, "model.py"), "/etc/ld.so.cache"]
        args = ["--hog", checker, copy, *map(str, hog)] if hog else [checker, copy, *paths]
        done = subprocess.run([*user, python, os.path.join(checker, "sandbox_probe.py"), *args],
                              capture_output=True, text=True, cwd="/")
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout)
    finally:
        shutil.rmtree(base)


def check_what_it_saw(seen):
    assert seen["cwd"] == sandbox.WORK and seen["files"] == ["mine.txt", "model.py"]
    assert seen["caps"] == "0000000000000000" and seen["no_new_privs"] == "1"
    assert seen["readable"] == ["/etc/ld.so.cache"]  # the copy is in the sandbox, not at its path
    assert len(seen["pids"]) <= 3  # bwrap's init, this process (and its reaper): no other
    assert seen["limits"] == seen["expected"] and seen["stdin"] == ""
    assert seen["interfaces"] == ["lo"]  # a network of its own, with nothing beyond it
    # no keyring to read or fill, no memory outside the limits (the seccomp filter)
    assert seen["calls"] == dict.fromkeys(["keyctl", "add_key", "shmget", "memfd_create"], "EPERM")


def test_the_kit_is_hidden_even_where_installed_among_this_pythons_packages(tmp_path):
    """Installed (pip install .), the kit's folder is site-packages, which the sandbox needs: its
    aelab/ is hidden, not the packages."""
    require_bwrap()
    packages = os.path.dirname(os.path.dirname(np.__file__))  # a folder this Python needs
    kit_package = os.path.join(packages, "numpy")  # standing in for an installed aelab/
    box = sandbox.Sandbox(supervise.copy_checker(str(tmp_path / "checker")),
                          hidden=[packages, kit_package])
    mounted = [box._view[i + 1] for i, arg in enumerate(box._view) if arg == "--tmpfs"]
    assert kit_package in mounted and packages not in mounted


def test_the_sandboxed_process(tmp_path):
    """What a checking process sees and may do, short of TensorFlow: its user, its capabilities,
    its limits, its processes, its files, the network."""
    require_bwrap()
    seen = probe_the_sandbox(sys.executable)
    check_what_it_saw(seen)
    if os.geteuid() == 0:
        assert seen["uid"] == seen["uids"][0] >= sandbox.UID_BASE and seen["groups"] == []


def test_the_sandbox_of_a_grader_that_is_not_root():
    """As another user, bwrap makes a user namespace (and no further ones): the process keeps
    that user's id, in the same view. Run as nobody, with a Python any user may run."""
    require_bwrap()
    python = "/usr/bin/python3"
    if os.geteuid() != 0 or not shutil.which("setpriv") or not os.access(python, os.X_OK):
        pytest.skip("needs root (to become nobody), setpriv and /usr/bin/python3")
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    seen = probe_the_sandbox(python, nobody)
    check_what_it_saw(seen)
    assert seen["uid"] == 65534 and seen["uids"] is None
    assert "--unshare-user" in seen["command"] and "--disable-userns" in seen["command"]


def test_a_checks_processes_together_are_bounded_by_its_memory_cgroup():
    """A student's process forks four children that each hold 64 MiB, far within each one's
    address space: in a check's cgroup of 192 MiB, the kernel kills one at least, the cgroup
    counts the kill (the row then names the limit), and the cgroup is gone after the check."""
    require_bwrap()
    mib = 1 << 20
    seen = probe_the_sandbox(sys.executable, hog=(192 * mib, 4, 64 * mib))
    if seen["groups"] is None:
        pytest.skip(f"no memory cgroups here: {seen['notes']}")
    assert seen["per_process"] > 4 * 64 * mib and seen["limit"] == 192 * mib
    assert -9 in seen["statuses"] and set(seen["statuses"]) <= {0, -9}
    assert seen["out_of_memory"] and seen["made"] and seen["gone"]
    end = {"kind": "memory", "status": 137, "seconds": None, "limit": seen["limit"]}
    row = judging.judge(TODOS[0], {"observations": {}, "end": end}, {"k": [1, "{got}", None, "value"]})
    assert row.cell == "error" and row.text == (
        "its lines held more than a check's memory limit (0.2 GiB, all its processes together): "
        "the checker was killed; the other TODOs are checked")
