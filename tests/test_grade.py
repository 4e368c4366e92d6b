"""Grading a class from what the students hand in: folders and zips, mistakes, hangs, exits,
encodings, unsafe zips and a student who edited the checker. The class is graded once."""

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile

import pytest

import hostile
from aelab.workshop import handout, judging, report, submissions
from aelab.workshop.cut import answers, cut, kit_texts
from aelab.workshop.grade import Graded
from aelab.workshop.gradebook import STOPPED, Gradebook
from aelab.workshop.source import Handout
from aelab.workshop.table import width as table_width
from aelab.workshop.todos import TODOS
from grading import cells, grade_command, grade_env, read_grades, sandbox_options, snapshot, zip_folder
from running import INTERRUPT, POSIX_ONLY, REPO, edit, run_main, student_copy

MODEL = os.path.join("aelab", "model.py")
TIMEOUT = 10  # seconds for one TODO: the endless loop's cost
N = len(TODOS)
OK = ["ok"] * N
OK_ROWS = [judging.Row(todo, "ok", "ok") for todo in TODOS]

# Typical mistakes, two students' worth, each in another TODO: (file, right, wrong, TODO).
MISTAKES = {
    "s03": [
        ("basic_autoencoder.py", "tf.random_normal([n_input, n_hidden])",
         "tf.random_normal([n_hidden, n_input])", 1),  # transposed weight shape
        (MODEL, "return tf.nn.sigmoid(layer_batch_norm(", "return tf.nn.relu(layer_batch_norm(", 4),
        (MODEL, "l2 = tf.sqrt(tf.reduce_sum(tf.square(tf.subtract(output, x)), 1))",
         "l2 = tf.reduce_sum(tf.square(tf.subtract(output, x)), 1)", 6),  # no square root
        ("autoencoder_mnist.py", "feed_dict={x: minibatch_x, phase_train: True})",
         "feed_dict={x: minibatch_x, phase_train: False})", 7),  # batch norm not in training
        ("denoising_autoencoder_mnist.py",
         "c_x = (corrupt_input(x) * corrupt) + (x * (1 - corrupt))", "c_x = x", 9),
    ],
    "s04": [
        (MODEL, "return x * tf.cast(corrupting_matrix, tf.float32)",
         "return x * tf.cast(corrupting_mask, tf.float32)", 8),  # a name error
        ("denoising_autoencoder_mnist.py", "cost, train_summary_op = loss(output, x)",
         "cost, train_summary_op = loss(output, c_x)", 10),  # the loss against c_x
    ],
}
MESSAGES = {1: "W_encode has shape [256, 784], expected [784, 256]",
            4: "output differs from the reference: is the activation a sigmoid",
            6: "train_loss is ", 7: "the weights after 3 steps differ",
            9: "c_x with corrupt = 1 differs from the reference",
            8: "NameError: name 'corrupting_mask' is not defined (aelab/model.py line "}


def make_class(base, handout, solution):
    """A class of submissions in base/class: one of each thing students hand in."""
    room = base / "class"
    room.mkdir()
    # s01 zipped the whole folder (Windows' "Send to" adds the top folder), .venv and all.
    s01 = student_copy(solution, base / "s01")
    (s01 / ".venv" / "Lib").mkdir(parents=True)
    (s01 / ".venv" / "pyvenv.cfg").write_text("home = C:\\Python311\n")
    (s01 / "mnist_autoencoder_hidden=2_logs").mkdir()
    (s01 / "mnist_autoencoder_hidden=2_logs" / "checkpoint").write_text("model\n")
    zip_folder(s01, room / "s01.zip", top="practice")
    student_copy(handout, room / "s02")
    for student, mistakes in MISTAKES.items():
        folder = student_copy(solution, room / student)
        for path, right, wrong, _ in mistakes:
            edit(folder, path, right, wrong)
    # s03 also made the checker pass everything and emptied its reference numbers.
    edit(room / "s03", os.path.join("aelab", "workshop", "judging.py"),
         "def judge(todo, result, want):\n",
         'def judge(todo, result, want):\n    return Row(todo, "ok", "ok")\n')
    reference = room / "s03" / "aelab" / "workshop_reference.json"
    reference.write_text(json.dumps({n: {} for n in json.loads(reference.read_text())}))
    # s05, nested a level deeper: a main script saved in Korean Windows' "ANSI" (CP949), an
    # exit call in TODO 8 and an endless loop in TODO 10 (one that sleeps: the checker cannot
    # tell it from one that computes, and the test's machine is spared the work).
    hard = student_copy(solution, room / "s05" / "work" / "practice")
    text = (hard / "basic_autoencoder.py").read_text(encoding="utf-8")
    (hard / "basic_autoencoder.py").write_bytes(text.encode("cp949"))
    edit(hard, MODEL, "    corrupting_matrix = tf.random_uniform(",
         "    import os; os._exit(0)\n    corrupting_matrix = tf.random_uniform(")
    edit(hard, "denoising_autoencoder_mnist.py", "    cost, train_summary_op = loss(output, x)",
         "    while True:\n        __import__('time').sleep(1)\n"
         "    cost, train_summary_op = loss(output, x)")
    # s06 (a Korean name) handed in only the files with TODOs; s07 flattened them into a zip,
    # with the slide's OCR text in TODO 5.
    for path in TODO_FILES:
        (room / "s06_김하늘" / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(solution / path, room / "s06_김하늘" / path)
    flat = student_copy(solution, base / "s07")
    edit(flat, MODEL, 'with tf.variable_scope("hidden_2"):\n            hidden_2 = layer(hidden_1, [n_encoder',
         'with tf.variable scope("hidden 2"):\n            hidden_2 = layer(hidden_1, [n_encoder')
    with zipfile.ZipFile(room / "s07.zip", "w") as archive:
        for path in TODO_FILES:
            archive.write(flat / path, os.path.basename(path))
    with zipfile.ZipFile(room / "s09.zip", "w") as archive:  # a zip that would write outside
        archive.writestr("practice/autoencoder_mnist.py", "print('hello')\n")
        archive.writestr("../escaped.py", "print('escaped')\n")
    (room / "s10").mkdir()
    (room / "s10" / "homework.txt").write_text("not a handout")
    (room / "notes.txt").write_text("the instructor's own notes")
    return room


def grade_a_class(base, handouts):
    """Grades the class made in base; returns (what grade printed, {student: csv row}, checks)."""
    room = make_class(base, *handouts)
    before, kit_before = snapshot(room), snapshot(REPO)
    result = run_main("aelab.workshop.__main__", "grade", room, "--out", base / "out" / "grades.csv",
                      "--feedback", base / "out" / "feedback", "--jobs", 2, "--timeout", TIMEOUT,
                      *sandbox_options(), cwd=base, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert snapshot(room) == before and snapshot(REPO) == kit_before  # nothing written there
    assert sorted(os.listdir(base)) == ["class", "out", "s01", "s07"]  # the folders the test zipped
    assert not os.path.exists(base / "escaped.py") and not os.path.exists(room / "escaped.py")
    return result, read_grades(base / "out" / "grades.csv")


def feedback(base, student):
    return (base / "out" / "feedback" / f"{student}.txt").read_text(encoding="utf-8-sig")


@pytest.mark.slow
def test_grading_a_class(tmp_path, handouts):
    """One grade run over one of each thing students hand in (a grade run is what costs)."""
    result, rows = grade_a_class(tmp_path, handouts)
    assert sorted(rows) == [f"s{n:02d}" for n in (1, 2, 3, 4, 5)] + ["s06_김하늘", "s07", "s09",
                                                                       "s10"]
    out = result.stdout

    # On screen: a line per student as each finishes, aligned with the Korean name (two columns
    # a character), then the class table: blanks apart from wrong answers.
    assert "skipped notes.txt: neither a folder nor a .zip" in out
    assert re.search(rf"^s01 +{N} of {N} ok  \d+\.\d s$", out, re.M), out
    assert re.search(rf"^s02 +0 of {N} ok  \d+\.\d s$", out, re.M)
    assert re.search(r"^s09 +not graded: unsafe zip: the entry '../escaped.py' has '..'; nothing "
                     r"was unpacked  \d+\.\d s$", out, re.M)
    students = [line for line in out.splitlines() if re.match(r"^s\d\d", line)]
    assert len(students) == 9 and {table_width(re.match(r"^\S+ +", line).group(0))
                                   for line in students} == {table_width("s06_김하늘  ")}
    table = out[out.index("\nTODO  slide section"):]
    # TODO 1: ok s01 s04 s06 s07, wrong s03, error s05 (its file is not UTF-8), blank s02.
    assert re.search(r"^   1  오토인코더 모델 구성 +4 +1 +1 +1$", table, re.M), table
    # TODO 10: ok s01 s03 s06, wrong s04, error s05 (a timeout) and s07, blank s02.
    assert re.search(r"^  10  loss function +3 +1 +2 +1$", table, re.M), table
    assert "Wrote " in out and " the class report " in out
    report_page = (tmp_path / "out" / "grades.html").read_text(encoding="utf-8")
    assert "오토인코더 모델 구성" in report_page and "s06_김하늘" not in report_page

    # A correct zip of the whole folder, .venv and run folder too; an unfilled folder: no notes.
    assert cells(rows["s01"]) == OK and rows["s01"]["ok"] == str(N)
    assert rows["s01"]["note"] == "not read: practice/.venv/ (a virtual environment; a hand-in " \
                                  "needs none)"
    assert cells(rows["s02"]) == ["not filled"] * N and rows["s02"]["ok"] == "0"
    assert rows["s02"]["note"] == ""

    # Only the files with TODOs: graded without a word. Flattened: found by name; the slide's
    # OCR text in aelab/model.py fails every TODO whose scripts import it, quoting the line.
    assert cells(rows["s06_김하늘"]) == OK and rows["s06_김하늘"]["note"] == ""
    assert cells(rows["s07"]) == ["ok"] * 3 + ["error"] * (N - 3)
    ocr = 'SyntaxError in aelab/model.py line '
    assert rows["s07"]["note"].startswith("found by name, not where the handout keeps them: "
                                          "model.py as aelab/model.py; TODO 4, 5, 6, 8, 11, 12, 13: " + ocr)
    assert re.search(r"; TODO 7, 9, 10: SyntaxError in aelab/model.py line \d+: invalid syntax: "
                     r'with tf.variable scope\("hidden 2"\): \(this TODO\'s script imports '
                     r"aelab/model.py, so it cannot run\)$", rows["s07"]["note"]), rows["s07"]["note"]

    # Typical mistakes: each marks its own TODO, and only that one.
    past_the_slides = ["ok"] * (N - 10)  # TODOs 11-13, the solution's
    assert cells(rows["s03"]) == ["wrong", "ok", "ok", "wrong", "ok", "wrong", "wrong", "ok",
                                  "wrong", "ok"] + past_the_slides
    assert cells(rows["s04"]) == ["ok", "ok", "ok", "ok", "ok", "ok", "ok", "error", "ok",
                                  "wrong"] + past_the_slides
    s03 = feedback(tmp_path, "s03").splitlines()
    for *_, todo in MISTAKES["s03"]:
        assert MESSAGES[todo] in [line for line in s03 if re.match(rf"^\s*{todo}  ", line)][0]
    s04 = feedback(tmp_path, "s04")
    assert MESSAGES[8] in s04
    assert "cost differs from the reference" in s04 and s04.startswith("student: s04")

    # A student who changed the checker and the reference is graded on the real answers.
    assert "aelab/workshop/judging.py differs from the kit's (not used)" in rows["s03"]["note"]
    assert "aelab/workshop_reference.json differs from the kit's (not used)" in rows["s03"]["note"]

    # A script Python will not run says how to save it; an endless loop and an exit call cost
    # only their own TODO; the handout was found a folder deeper.
    assert cells(rows["s05"]) == ["error"] * 3 + ["ok"] * 4 + ["error", "ok", "timeout"] + past_the_slides
    assert ("basic_autoencoder.py is not saved as UTF-8, so Python will not run it: save it as "
            "UTF-8 and check again") in feedback(tmp_path, "s05")
    assert f"TODO 10: still running after {TIMEOUT} s (an endless loop?)" in rows["s05"]["note"]
    assert "TODO 8: its lines ended the checker (exit status 0)" in rows["s05"]["note"]

    # Unsafe and foreign submissions get a row with a note, and no cells.
    assert cells(rows["s09"]) == [""] * N and rows["s09"]["ok"] == "0"
    assert rows["s09"]["note"] == ("unsafe zip: the entry '../escaped.py' has '..'; nothing was "
                                   "unpacked")
    assert rows["s10"]["note"].startswith("not a handout: no autoencoder_mnist.py")

    # grades.csv: UTF-8 with a byte-order mark, so that Excel reads the Korean.
    data = (tmp_path / "out" / "grades.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data[3:].decode("utf-8").splitlines()[0] == (
        "student," + ",".join(f"todo_{todo.number}" for todo in TODOS) + ",ok,seconds,note")


@pytest.mark.parametrize("name, why", [("/etc/passwd", "an absolute path"),
                                       ("C:/Windows/evil.py", "a drive letter"),
                                       ("practice\\..\\..\\evil.py", "'..'"),
                                       ("practice/aelab/model.py", None)])
def test_zip_entry_names(name, why):
    assert submissions.unsafe(name) == why


def test_unpack_refuses_links_and_zips_far_larger_than_a_handout(tmp_path, monkeypatch):
    link = zipfile.ZipInfo("practice/aelab/model.py")
    link.external_attr = (0o120777 << 16)  # a symbolic link, as zip -y stores one
    with zipfile.ZipFile(tmp_path / "link.zip", "w") as archive:
        archive.writestr("practice/autoencoder_mnist.py", "x = 1\n")
        archive.writestr(link, "/etc/passwd")
    with pytest.raises(submissions.Ungradable, match="'practice/aelab/model.py' is a link; nothing"):
        submissions.unpack(tmp_path / "link.zip", tmp_path / "out")
    monkeypatch.setattr(submissions, "MAX_UNPACKED", 1000)
    with zipfile.ZipFile(tmp_path / "big.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("practice/autoencoder_mnist.py", "#" * 5000)
    with pytest.raises(submissions.Ungradable, match="unpacks to more than 0 MB, far more than a handout"):
        submissions.unpack(tmp_path / "big.zip", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def journal(out):
    """The students a running grading says it is checking, and its rows so far."""
    try:
        with open(str(out) + ".progress", encoding="utf-8") as f:
            checking = json.load(f)["checking"]
    except (OSError, ValueError):
        checking = []
    return set(checking), set(read_grades(out)) if os.path.exists(out) else set()


def stop_when(command, env, ready, stop=lambda proc: proc.kill(), **popen):
    """Runs grade and stops it (by default SIGKILL, as a crash or the OOM killer would) once
    ready(checking, done) holds; then waits until nothing its sandboxes ran is left.
    Returns (its exit status, what it printed)."""
    proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True, **popen)
    out = command[command.index("--out") + 1]
    while proc.poll() is None and not ready(*journal(out)):
        time.sleep(0.05)  # polling grades.csv and its journal: the grader writes them as it goes
    assert proc.poll() is None, proc.communicate()[0]
    stop(proc)
    said = proc.communicate()[0]
    for _ in range(600):  # a guard against a hang: they end at once, with the grader
        if not hostile.lingering([env["TMPDIR"]]):
            break
        time.sleep(0.1)
    assert hostile.lingering([env["TMPDIR"]]) == []
    return proc.returncode, said


def a_class(base, handouts, *students):
    """base/class with a copy of the handout (h) or the solution (s) per student, and
    (grade's command into base/out/grades.csv, its environment)."""
    room, home, temp = base / "class", base / "home", base / "temp"
    for folder in (room, home, temp):
        folder.mkdir()
    for student, which in students:
        student_copy(handouts[which == "s"], room / student)
    command = grade_command(room, base / "out" / "grades.csv", "--timeout", TIMEOUT,
                            *sandbox_options())
    return command, grade_env(home, temp)


@pytest.mark.slow
def test_a_grading_killed_half_way_resumes_with_the_same_command(tmp_path, handouts):
    """Killed while checking s2 and s3, the grading goes on with the same command: s4 first,
    then s2 and s3 again, each alone. Killed again while checking s3 alone, the third run
    gives s3 its row and no further check. Every student has one row."""
    command, env = a_class(tmp_path, handouts, ("s1", "h"), ("s2", "s"), ("s3", "s"), ("s4", "h"))
    command += ["--jobs", "2"]
    out, temp = tmp_path / "out" / "grades.csv", tmp_path / "temp"

    status, _ = stop_when(command, env, lambda checking, done: {"s2", "s3"} <= checking)
    assert status == -9 and os.path.exists(str(out) + ".progress") and os.listdir(temp) != []
    status, said = stop_when(command, env, lambda checking, done: checking == {"s3"})
    assert "Resuming the grading in " in said and ": 1 of 4 done; grading the other 3" in said
    assert "The grader stopped while checking s2, s3: each is checked again, alone, after the " \
           "others" in said
    third = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    assert third.returncode == 0, third.stderr
    assert ": 3 of 4 done; grading the other 1" in third.stdout

    with open(out, newline="", encoding="utf-8-sig") as f:
        students = [row[0] for row in list(csv.reader(f))[1:]]
    assert students == ["s1", "s2", "s3", "s4"]
    rows = read_grades(out)
    assert cells(rows["s2"]) == OK and rows["s2"]["note"] == STOPPED
    assert cells(rows["s3"]) == [""] * N and rows["s3"]["note"] == (
        f"{STOPPED}, twice: not checked again")
    assert cells(rows["s1"]) == cells(rows["s4"]) == ["not filled"] * N
    assert sorted(os.listdir(out.parent)) == ["grades.csv", "grades.html", "grades.png"]
    assert not [name for name in os.listdir(temp) if name.startswith("aelab-")]  # none left


@POSIX_ONLY
@pytest.mark.slow
def test_ctrl_c_in_grade_keeps_the_rows_done_and_holds_nothing_against_anyone(tmp_path, handouts):
    command, env = a_class(tmp_path, handouts, ("s1", "h"), ("s2", "s"))
    command += ["--jobs", "1"]
    out = tmp_path / "out" / "grades.csv"
    status, said = stop_when(command, env, lambda checking, done: checking == {"s2"},
                             stop=lambda proc: proc.send_signal(INTERRUPT["signal"]),
                             **INTERRUPT["popen"])
    assert status == INTERRUPT["status"] and "Traceback" not in said, said
    assert said.strip().endswith(f"Interrupted: 1 of 2 graded; {out} has those, and the same "
                                 f"command grades the rest.")
    with open(str(out) + ".progress", encoding="utf-8") as f:
        left = json.load(f)
    assert left["checking"] == [] and left["stops"] == {} and sorted(read_grades(out)) == ["s1"]


# ---------------------------------------------------------------- what a real class hands in

TODO_FILES = ("basic_autoencoder.py", "autoencoder_mnist.py", "denoising_autoencoder_mnist.py",
              "aelab/model.py")


def a_students_folder(folder, link=True):
    """A handout as a student's laptop holds it, in folder/practice: its TODO files, a
    virtual environment (pyvenv.cfg, a bin/python3 link, some files), a run folder, the data and
    caches; and a second virtual environment beside practice/. Returns folder."""
    practice = folder / "practice"
    for path in TODO_FILES:
        (practice / path).parent.mkdir(parents=True, exist_ok=True)
        (practice / path).write_text(f"# {path}\n")
    for venv in (practice / ".venv", folder / "env"):
        (venv / "bin").mkdir(parents=True)
        (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
        (venv / "lib" / "site-packages").mkdir(parents=True)
        (venv / "lib" / "site-packages" / "big.so").write_bytes(b"\0" * 5000)
        if link:
            os.symlink(sys.executable, venv / "bin" / "python3")
    (practice / "mnist_autoencoder_hidden=2_logs").mkdir()
    (practice / "mnist_autoencoder_hidden=2_logs" / "checkpoint").write_text("model\n")
    (practice / "mnist" / "data").mkdir(parents=True)
    (practice / "mnist" / "data" / "train-images-idx3-ubyte.gz").write_bytes(b"\0" * 5000)
    (practice / "aelab" / "__pycache__").mkdir()
    (practice / "aelab" / "__pycache__" / "model.cpython-311.pyc").write_bytes(b"\0" * 5000)
    return folder


VENV_NOTE = ("not read: env/, practice/.venv/ (a virtual environment; a hand-in needs none)")


def copied(folder):
    return sorted(os.path.relpath(os.path.join(here, name), folder).replace(os.sep, "/")
                  for here, _, files in os.walk(folder) for name in files)


@POSIX_ONLY
def test_a_folder_with_venvs_run_folders_data_and_caches_is_graded_on_its_own_files(tmp_path):
    """A .venv's links are not followed (nor even looked at): without the skip, the folder would
    be refused as unsafe for '.venv/bin/python3'."""
    folder = a_students_folder(tmp_path / "student")
    notes = submissions.copy_folder(str(folder), str(tmp_path / "copy"))
    assert notes == [VENV_NOTE]
    assert copied(tmp_path / "copy") == sorted(TODO_FILES)


def test_a_zip_with_venvs_is_graded_on_its_own_files_and_their_size_does_not_count(
        tmp_path, monkeypatch):
    """Zipped with its links (zip -y): the links and the size of what is skipped do not count."""
    folder = a_students_folder(tmp_path / "student", link=False)
    zip_folder(folder, tmp_path / "s.zip")
    with zipfile.ZipFile(tmp_path / "s.zip", "a") as archive:
        for venv in ("practice/.venv", "env"):
            link = zipfile.ZipInfo(f"{venv}/bin/python3")
            link.external_attr = (0o120777 << 16)
            archive.writestr(link, "/usr/bin/python3")
    monkeypatch.setattr(submissions, "MAX_UNPACKED", 1000)  # the venvs, data and caches: 25 KB
    assert submissions.unpack(tmp_path / "s.zip", tmp_path / "copy") == [VENV_NOTE]
    assert copied(tmp_path / "copy") == sorted(TODO_FILES)


def test_a_folder_with_python_files_is_never_skipped_as_data_a_run_or_a_venv(tmp_path):
    """The data downloaded into the handout folder itself, beside its scripts, is no reason to
    skip the handout."""
    names = [*TODO_FILES, "train-images-idx3-ubyte.gz", "checkpoint", "pyvenv.cfg"]
    assert submissions.unpack(zipped(tmp_path / "s.zip", [f"practice/{n}" for n in names]),
                              tmp_path / "copy") == []
    assert copied(tmp_path / "copy") == sorted(TODO_FILES)


def zipped(path, names):
    with zipfile.ZipFile(path, "w") as archive:
        for name in names:
            archive.writestr(name, f"# {name}\n")
    return path


def test_flattened_and_partial_uploads(tmp_path):
    # The four TODO files at the top: found by name, said once.
    flat = zipped(tmp_path / "flat.zip", [os.path.basename(path) for path in TODO_FILES])
    assert submissions.unpack(flat, tmp_path / "flat") == [
        "found by name, not where the handout keeps them: model.py as aelab/model.py"]
    assert copied(tmp_path / "flat") == sorted(TODO_FILES)
    # Only the TODO files, in their places: nothing to say.
    assert submissions.unpack(zipped(tmp_path / "part.zip", TODO_FILES), tmp_path / "part") == []
    # Two files named model.py: neither is taken (the TODOs' rows then say aelab/model.py is
    # missing).
    two = zipped(tmp_path / "two.zip", ["basic_autoencoder.py", "a/model.py", "b/model.py"])
    assert submissions.unpack(two, tmp_path / "two") == []
    assert copied(tmp_path / "two") == ["basic_autoencoder.py"]
    # No TODO file at all: refused in one line that says how to hand in.
    with pytest.raises(submissions.Ungradable, match=r"^not a handout: no autoencoder_mnist.py, "
                       r"basic_autoencoder.py or aelab/model.py in the zip; hand in the handout "
                       r"folder as `python -m aelab.workshop pack` zips it$"):
        submissions.unpack(zipped(tmp_path / "other.zip", ["report.docx", "train.py"]),
                           tmp_path / "other")


@POSIX_ONLY
def test_pack_zips_the_students_work_as_grade_takes_it(tmp_path):
    folder = a_students_folder(tmp_path / "student")
    practice = folder / "practice"
    os.symlink("/etc/passwd", practice / "passwords")
    result = run_main("aelab.workshop.__main__", "pack", cwd=practice)
    assert result.returncode == 0, result.stderr
    out = folder / "practice.zip"
    assert result.stdout.splitlines() == [
        f"Wrote {out}: 4 files, 0.0 MB. Hand in this file. / 이 파일을 제출하세요.",
        "left out, as not your work: .venv/ (a virtual environment), mnist/data/ (the data), "
        "mnist_autoencoder_hidden=2_logs/ (a run folder)",
        "left out, as links (not followed): passwords"]
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == sorted(f"practice/{path}" for path in TODO_FILES)
    assert submissions.unpack(out, tmp_path / "copy") == []
    refused = run_main("aelab.workshop.__main__", "pack", folder / "env", cwd=tmp_path, check=False)
    assert refused.returncode == 1 and refused.stderr.startswith(
        f"error: {folder / 'env'} is not a handout folder (no autoencoder_mnist.py, basic_autoencoder.py, "
        f"aelab/model.py): run pack in the folder")


def test_a_module_that_does_not_compile_fails_every_todo_whose_scripts_import_it():
    """The slide's OCR text typed into TODO 5: nothing but basic_autoencoder.py runs."""
    texts = answers(kit_texts())
    ocr = 'with tf.variable scope("hidden 2"):'
    texts[MODEL] = texts[MODEL].replace('with tf.variable_scope("hidden_2"):', ocr, 1)
    line = texts[MODEL].splitlines().index("        " + ocr) + 1
    handout = Handout(None, TODOS, texts)
    rows = {todo.number: judging.without_a_run(handout, todo) for todo in TODOS}
    assert [rows[n] for n in (1, 2, 3)] == [None] * 3
    said = f"SyntaxError in aelab/model.py line {line}: invalid syntax: {ocr}"
    for n in (4, 5, 6, 8):
        assert rows[n].cell == "error" and rows[n].text == said, rows[n]
    for n in (7, 9, 10):
        assert rows[n].cell == "error" and rows[n].text == (
            f"{said} (this TODO's script imports aelab/model.py, so it cannot run)"), rows[n]
    # Without aelab/model.py, its TODOs say it is missing, and so do those whose scripts import it.
    handout = Handout(None, TODOS, {path: text for path, text in texts.items() if path != MODEL})
    rows = {todo.number: judging.without_a_run(handout, todo) for todo in TODOS}
    assert [rows[n] for n in (1, 2, 3)] == [None] * 3
    assert {rows[n].text for n in (4, 5, 6, 8)} == {"aelab/model.py is missing"}
    assert {rows[n].text for n in (7, 9, 10)} == {
        "aelab/model.py is missing (this TODO's script imports aelab/model.py, so it cannot run)"}
    # A blank stays a blank.
    texts["denoising_autoencoder_mnist.py"] = kit_texts()["denoising_autoencoder_mnist.py"]
    handout = Handout(None, TODOS, {**texts, **{
        path: cut(path, text, False) for path, text in texts.items()
        if path == "denoising_autoencoder_mnist.py"}})
    assert judging.without_a_run(handout, TODOS[8]).cell == "not filled"


def test_the_class_report_counts_blanks_apart_from_wrong_answers_and_names_no_student(tmp_path):
    """Three students of a class graded in two runs (a resumed grading): the report's counts,
    commonest failures, chart and page."""
    out = str(tmp_path / "grades.csv")
    book = Gradebook(out, str(tmp_path / "class"))
    book.begin(str(tmp_path / "temp"))
    wrong = judging.Row(TODOS[4], "wrong", "encoder output differs from the reference")
    book.finish(Graded("김철수", [*OK_ROWS[:4], wrong, *OK_ROWS[5:]], 1.0, []), "")
    # The grader stops here; the same command takes the grading up.
    book = Gradebook(out, str(tmp_path / "class"))
    book.begin(str(tmp_path / "temp"))
    blank = judging.Row(TODOS[4], "not filled", judging.NOT_FILLED)
    late = judging.Row(TODOS[9], "timeout", "still running after 60 s")
    book.finish(Graded("이영희", [*OK_ROWS[:4], blank, *OK_ROWS[5:9], late], 1.0, []), "")
    book.finish(Graded("student_3", [*OK_ROWS[:4], wrong, *OK_ROWS[5:]], 1.0, []), "")
    book.finish(Graded("student_4", None, 0.0, ["not a handout"]), "")
    book.close()
    lines, written, note = report.write(book.records(), book.failures, out)
    assert written == [str(tmp_path / "grades.png"), str(tmp_path / "grades.html")]
    five, ten = lines[4], lines[9]
    assert five.counts == {"ok": 0, "wrong": 2, "error": 0, "not filled": 1}
    assert five.not_graded == 1
    assert five.message == "encoder output differs from the reference (2 of the 2 failing)"
    assert ten.counts == {"ok": 2, "wrong": 0, "error": 1, "not filled": 0}
    assert lines[0].counts["ok"] == 3 and lines[0].message == ""
    terminal = report.terminal(lines)
    assert terminal[0].split() == ["TODO", "slide", "section", "ok", "wrong", "error", "not",
                                   "filled"]
    assert re.match(r"^   5  인코더/디코더 +0      2      0           1$", terminal[5]), terminal[5]
    assert len({table_width(line) for line in terminal[:-1]}) == 1  # aligned, Korean and all
    page = (tmp_path / "grades.html").read_text(encoding="utf-8")
    assert "<td class=t>인코더/디코더</td><td>0</td><td>2</td><td>0</td><td>1</td><td>1</td>" in page
    assert not any(name in page for name in ("김철수", "이영희", "student_"))
    assert (tmp_path / "grades.png").read_bytes().startswith(b"\x89PNG")
    assert note == (None if report.korean_font() else report.NO_FONT)


@POSIX_ONLY
@pytest.mark.parametrize("system, tool", [("macOS", "bsdtar"), ("Linux", "zip")])
def test_the_readmes_one_line_hand_ins_make_zips_that_grade_as_is(tmp_path, system, tool):
    """The handout README's line for a system, run in a student's folder (.venv and all): the
    zip is graded on the TODO files, with nothing to say. bsdtar is macOS's tar and Windows'."""
    if shutil.which(tool) is None:
        pytest.skip(f"no {tool} here (apt-get install {'libarchive-tools' if tool == 'bsdtar' else 'zip'})")
    readme = handout.handout_readme(None, False)
    line = re.search(rf"^- {system}: `(.+)`$", readme, re.M).group(1)
    if tool == "bsdtar":
        line = re.sub(r"^tar ", "bsdtar ", line)
    practice = a_students_folder(tmp_path / "student") / "practice"
    subprocess.run(line, shell=True, cwd=practice, check=True, capture_output=True)
    assert submissions.unpack(tmp_path / "student" / "practice.zip", tmp_path / "copy") == []
    assert copied(tmp_path / "copy") == sorted(TODO_FILES)


def test_without_a_korean_font_the_chart_names_todos_by_number_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(report, "KOREAN_FONTS", ())
    assert report.chart(report.lines([], {}), tmp_path / "grades.png") == report.NO_FONT
    assert (tmp_path / "grades.png").read_bytes().startswith(b"\x89PNG")
