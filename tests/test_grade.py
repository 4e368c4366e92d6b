"""Grading a class from what the students hand in: folders and zips, mistakes, hangs, exits,
encodings, unsafe zips and a student who edited the checker. The class is graded once."""

import csv
import json
import os
import re
import zipfile

import pytest

from aelab.workshop import grade
from conftest import REPO, edit, run_main, student_copy

MODEL = os.path.join("aelab", "model.py")
TIMEOUT = 10  # seconds for one TODO: the endless loop's cost
OK = ["ok"] * 10

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
        (MODEL, 'W = tf.get_variable("W", weight_shape, initializer=weight_init)',
         'W = tf.get_variable("W", weight_shape, initializer=weight_init', 4),  # syntax error
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


def zip_folder(folder, path, top=""):
    """Zips folder as a student would, its files under `top/` (Windows' "Send to" adds one)."""
    with zipfile.ZipFile(path, "w") as archive:
        for here, _, files in os.walk(folder):
            for name in files:
                full = os.path.join(here, name)
                archive.write(full, os.path.join(top, os.path.relpath(full, folder)))
        archive.writestr("__MACOSX/._basic_autoencoder.py", b"junk")


def make_class(base, handout, solution):
    """A class of submissions in base/class: one of each thing students hand in."""
    room = base / "class"
    room.mkdir()
    zip_folder(student_copy(solution, base / "s01"), room / "s01.zip", top="practice")
    student_copy(handout, room / "s02")
    for student, mistakes in MISTAKES.items():
        folder = student_copy(solution, room / student)
        for path, right, wrong, _ in mistakes:
            edit(folder, path, right, wrong)
    # s03 also made the checker pass everything and emptied its reference numbers.
    edit(room / "s03", os.path.join("aelab", "workshop", "check.py"),
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
    with zipfile.ZipFile(room / "s09.zip", "w") as archive:  # a zip that would write outside
        archive.writestr("practice/autoencoder_mnist.py", "print('hello')\n")
        archive.writestr("../escaped.py", "print('escaped')\n")
    (room / "s10").mkdir()
    (room / "s10" / "homework.txt").write_text("not a handout")
    (room / "notes.txt").write_text("the instructor's own notes")
    return room


def snapshot(folder):
    """Every file under folder with its size and modification time."""
    return {os.path.relpath(os.path.join(here, name), folder): (
        os.stat(os.path.join(here, name)).st_size, os.stat(os.path.join(here, name)).st_mtime_ns)
        for here, dirs, files in os.walk(folder)
        for name in files if "__pycache__" not in here and ".pytest_cache" not in here}


def grade_a_class(base, handouts):
    """Grades the class made in base; returns (what grade printed, {student: csv row}, checks)."""
    room = make_class(base, *handouts)
    before, kit_before = snapshot(room), snapshot(REPO)
    result = run_main("aelab.workshop.__main__", "grade", room, "--out", base / "out" / "grades.csv",
                      "--feedback", base / "out" / "feedback", "--jobs", 2, "--timeout", TIMEOUT,
                      cwd=base, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert snapshot(room) == before and snapshot(REPO) == kit_before  # nothing written there
    assert sorted(os.listdir(base)) == ["class", "out", "s01"]  # s01: the folder the test zipped
    assert not os.path.exists(base / "escaped.py") and not os.path.exists(room / "escaped.py")
    with open(base / "out" / "grades.csv", newline="", encoding="utf-8-sig") as f:
        return result, {row["student"]: row for row in csv.DictReader(f)}


def cells(row):
    return [row[f"todo_{n}"] for n in range(1, 11)]


def feedback(base, student):
    return (base / "out" / "feedback" / f"{student}.txt").read_text(encoding="utf-8-sig")


@pytest.mark.slow
def test_grading_a_class(tmp_path, handouts):
    """One grade run over one of each thing students hand in (a grade run is what costs)."""
    result, rows = grade_a_class(tmp_path, handouts)
    assert sorted(rows) == [f"s{n:02d}" for n in (1, 2, 3, 4, 5, 9, 10)]
    out = result.stdout

    # On screen: a line per student as each finishes, then the class table.
    assert "skipped notes.txt: neither a folder nor a .zip" in out
    assert re.search(r"^s01  10 of 10 ok  \d+\.\d s$", out, re.M), out
    assert re.search(r"^s02  0 of 10 ok  \d+\.\d s$", out, re.M)
    assert re.search(r"^s09  not graded: unsafe zip: the entry '../escaped.py' has '..'; nothing "
                     r"was unpacked  \d+\.\d s$", out, re.M)
    table = out[out.index("\nTODO  slide section"):]
    assert re.search(r"^   1  오토인코더 모델 구성 +2 of 5$", table, re.M), table  # s01, s04
    assert re.search(r"^  10  loss function +2 of 5$", table, re.M), table  # s01, s03

    # A correct zip with a top folder; an unfilled folder.
    assert cells(rows["s01"]) == OK and rows["s01"]["ok"] == "10"
    assert "handout found in practice/" in rows["s01"]["note"]
    assert cells(rows["s02"]) == ["not filled"] * 10 and rows["s02"]["ok"] == "0"

    # Typical mistakes: each marks its own TODO, and only that one.
    assert cells(rows["s03"]) == ["wrong", "ok", "ok", "wrong", "ok", "wrong", "wrong", "ok",
                                  "wrong", "ok"]
    assert cells(rows["s04"]) == ["ok", "ok", "ok", "error", "ok", "ok", "ok", "error", "ok",
                                  "wrong"]
    s03 = feedback(tmp_path, "s03").splitlines()
    for *_, todo in MISTAKES["s03"]:
        assert MESSAGES[todo] in [line for line in s03 if re.match(rf"^\s*{todo}  ", line)][0]
    s04 = feedback(tmp_path, "s04")
    assert "SyntaxError in aelab/model.py line " in s04 and MESSAGES[8] in s04
    assert "cost differs from the reference" in s04 and s04.startswith("student: s04")

    # A student who changed the checker and the reference is graded on the real answers.
    assert "aelab/workshop/check.py differs from the kit's (not used)" in rows["s03"]["note"]
    assert "aelab/workshop_reference.json differs from the kit's (not used)" in rows["s03"]["note"]

    # A script Python will not run says how to save it; an endless loop and an exit call cost
    # only their own TODO; the handout was found a folder deeper.
    assert cells(rows["s05"]) == ["error"] * 3 + ["ok"] * 4 + ["error", "ok", "timeout"]
    assert ("basic_autoencoder.py is not saved as UTF-8, so Python will not run it: save it as "
            "UTF-8 and check again") in feedback(tmp_path, "s05")
    assert "handout found in work/practice/" in rows["s05"]["note"]
    assert f"TODO 10: still running after {TIMEOUT} s (an endless loop?)" in rows["s05"]["note"]
    assert "TODO 8: its lines ended the checker (exit status 0)" in rows["s05"]["note"]

    # Unsafe and foreign submissions get a row with a note, and no cells.
    assert cells(rows["s09"]) == [""] * 10 and rows["s09"]["ok"] == "0"
    assert rows["s09"]["note"] == ("unsafe zip: the entry '../escaped.py' has '..'; nothing was "
                                   "unpacked")
    assert rows["s10"]["note"].startswith("not a handout: no autoencoder_mnist.py")

    # grades.csv: UTF-8 with a byte-order mark, so that Excel reads the Korean.
    data = (tmp_path / "out" / "grades.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data[3:].decode("utf-8").splitlines()[0] == (
        "student," + ",".join(f"todo_{n}" for n in range(1, 11)) + ",ok,seconds,note")


@pytest.mark.parametrize("name, why", [("/etc/passwd", "an absolute path"),
                                       ("C:/Windows/evil.py", "a drive letter"),
                                       ("practice\\..\\..\\evil.py", "'..'"),
                                       ("practice/aelab/model.py", None)])
def test_zip_entry_names(name, why):
    assert grade.unsafe(name) == why


def test_unpack_refuses_links_and_zips_far_larger_than_a_handout(tmp_path, monkeypatch):
    link = zipfile.ZipInfo("practice/aelab/model.py")
    link.external_attr = (0o120777 << 16)  # a symbolic link, as zip -y stores one
    with zipfile.ZipFile(tmp_path / "link.zip", "w") as archive:
        archive.writestr("practice/autoencoder_mnist.py", "x = 1\n")
        archive.writestr(link, "/etc/passwd")
    with pytest.raises(grade.Ungradable, match="'practice/aelab/model.py' is a link; nothing"):
        grade.unpack(tmp_path / "link.zip", tmp_path / "out")
    monkeypatch.setattr(grade, "MAX_UNPACKED", 1000)
    with zipfile.ZipFile(tmp_path / "big.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("practice/autoencoder_mnist.py", "#" * 5000)
    with pytest.raises(grade.Ungradable, match="unpacks to more than 0 MB, far more than a handout"):
        grade.unpack(tmp_path / "big.zip", tmp_path / "out")
    assert not (tmp_path / "out").exists()
