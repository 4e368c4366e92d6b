"""The workshop handout: blanks that stop with one line, a checker that names the right TODO."""

import ast
import codecs
import os
import re
import subprocess
import sys

import pytest

import hostile
from aelab.workshop import cut, source
from aelab.workshop.supervise import CHANNEL
from aelab.workshop.todos import TODOS
from running import (
    EXTRACTING,
    INTERRUPT,
    POSIX_ONLY,
    REPO,
    check_in,
    edit,
    rows_of,
    run_main,
    run_scripts,
    script_env,
    student_copy,
)


def test_handout_holds_the_lab_data_readme_and_a_marked_stub_per_todo(handout, small_dataset):
    assert sorted(os.listdir(handout)) == ["1_basic_autoencoder.ipynb", "2_deep_autoencoder.ipynb",
                                           "3_denoising_autoencoder.ipynb",
                                           "4_beyond_the_slides.ipynb", "LICENSE", "README.md",
                                           "ae_vs_pca.py", "aelab", "anomaly_detection.py",
                                           "autoencoder_mnist.py", "basic_autoencoder.py",
                                           "conv_autoencoder_mnist.py",
                                           "denoising_autoencoder_mnist.py", "dn_ae_test.py",
                                           "mnist", "optional_anomaly_detection.ipynb",
                                           "requirements.txt", "sparse_autoencoder_mnist.py",
                                           "variational_autoencoder_mnist.py"]
    assert sorted(os.listdir(handout / "mnist" / "data")) == sorted(os.listdir(small_dataset))
    assert sorted(os.listdir(handout / "aelab" / "workshop")) == sorted(
        name for name in os.listdir(os.path.join(REPO, "aelab", "workshop")) if name.endswith(".py"))
    assert not list(handout.rglob("__pycache__"))
    readme = (handout / "README.md").read_text(encoding="utf-8")
    assert readme.index("준비") < readme.index("Set-up") and "jupyter notebook" in readme
    assert "python -m aelab.workshop check" in readme and "저장은 필수" in readme
    for todo in TODOS:
        assert f"| {todo.number} | {todo.title} |" in readme
        for region in todo.regions:
            text = (handout / region.file).read_text(encoding="utf-8")
            assert f"# TODO {todo.number}: {todo.title} ({region.file}, {region.function}())" in text
            assert (f'raise SystemExit("TODO {todo.number} ({todo.title}) is not filled in yet: '
                    f'{region.file}, {region.function}()")') in text
        assert re.search(r"# 힌트: \S", text) and re.search(r"# Hint: \S", text)
    requirements = (handout / "requirements.txt").read_text()
    assert "notebook" in requirements and "filelock" in requirements and "tqdm" in requirements
    # A virtual environment first, on Windows and elsewhere; the licence it may be handed out under.
    assert "py -m venv .venv\n.venv\\Scripts\\activate\npip install -r requirements.txt" in readme
    assert "python3 -m venv .venv\n. .venv/bin/activate\npip install -r requirements.txt" in readme
    assert (handout / "LICENSE").read_text().startswith("MIT License") and "LICENSE" in readme


def test_a_handout_of_fashion_mnist_says_so_in_its_readme_and_notebooks(tmp_path):
    """The pictures will be clothes, not digits: the README and every notebook say so."""
    from aelab.workshop import handout, notebooks
    assert "**Fashion-MNIST**" in handout.handout_readme("fashion", False)
    assert "not the slides' handwritten digits" in handout.handout_readme("fashion", False)
    assert "Fashion-MNIST" not in handout.handout_readme(None, False)
    for part in notebooks.PARTS:
        _, notebook = notebooks.build(part, "fashion")
        assert "**Fashion-MNIST**" in notebook.cells[0].source


def test_the_handout_does_not_hold_the_answers(handout):
    """No line of a blank, as the kit has it, appears anywhere in the handout.

    A line the lab shows outside the blanks too (the deep autoencoder's decoder
    call, which the denoising one repeats; its loss line, which the convolutional
    script repeats) is not an answer.
    """
    answers, shown = set(), set()
    for path in {region.file for todo in TODOS for region in todo.regions} | set(source.SCRIPTS):
        with open(os.path.join(REPO, path), encoding="utf-8") as f:
            text = f.read()
        lines = [line.strip() for line in text.splitlines()]
        blank = set()
        for region in (region for todo in TODOS for region in todo.regions if region.file == path):
            first, last, _ = cut.span(ast.parse(text), region)
            blank |= set(range(first - 1, last))
        answers |= {lines[i] for i in blank if len(lines[i]) > 16 and not lines[i].startswith("#")}
        shown |= {re.sub(r"\s+# .*", "", line) for i, line in enumerate(lines) if i not in blank}
    answers -= shown
    assert len(answers) > 30
    for path in handout.rglob("*"):
        if path.is_file() and path.suffix in (".py", ".md", ".json", ".txt", ".ipynb"):
            text = path.read_text(encoding="utf-8")
            leaked = [line for line in answers if line in text]
            assert not leaked, f"{path.name}: {leaked[:3]}"


@pytest.mark.slow
def test_an_unfilled_script_stops_with_one_line(handout):
    folder = handout  # nothing is written: each script stops at its first blank
    scripts = [("basic_autoencoder.py", [], 1), ("autoencoder_mnist.py", [2], 5),
               ("denoising_autoencoder_mnist.py", [2], 9)]
    results = run_scripts(folder, *([script, *args, "--epochs", 1, "--steps-per-epoch", 2]
                                    for script, args, _ in scripts))
    for (script, _, todo), result in zip(scripts, results):
        assert result.returncode == 1, script
        last = result.stderr.strip().splitlines()[-1]
        title = TODOS[todo - 1].title
        assert re.fullmatch(rf"TODO {todo} \({re.escape(title)}\) is not filled in yet: \S+, \w+\(\)",
                            last), script
        assert "Traceback" not in result.stderr and re.fullmatch(EXTRACTING, result.stdout), script
    assert not [name for name in os.listdir(folder) if name.endswith("_logs")]


def test_check_on_a_fresh_handout_lists_every_todo_as_not_filled_in(handout):
    status, rows, out = check_in(handout)
    assert status == 1, out
    assert rows == {todo.number: "not filled in yet (saved?)" for todo in TODOS}, out
    assert out.strip().endswith(f"0 of {len(TODOS)} TODOs ok")


def test_check_takes_a_subset_of_todos(handout, solution, tmp_path):
    folder = student_copy(handout, tmp_path / "student")
    status, rows, out = check_in(folder, "--todo", 4, 5)
    assert status == 1 and rows == {4: "not filled in yet (saved?)", 5: "not filled in yet (saved?)"}
    assert out.strip().endswith("0 of 2 TODOs ok")


def test_the_solution_passes_check_saved_as_python_reads_it(solution, tmp_path):
    """A byte-order mark, CRLF line ends, tabs and an imported module in CP949 change no row."""
    folder = student_copy(solution, tmp_path / "student")
    text = (folder / "autoencoder_mnist.py").read_bytes()
    (folder / "autoencoder_mnist.py").write_bytes(codecs.BOM_UTF8 + text.replace(b"\n", b"\r\n"))
    model = (folder / "aelab" / "model.py").read_text(encoding="utf-8")
    (folder / "aelab" / "model.py").write_bytes(model.encode("cp949"))  # Korean in comments only
    assert b"\xc7" in (folder / "aelab" / "model.py").read_bytes()
    script = folder / "denoising_autoencoder_mnist.py"  # one function indented with tabs
    text = script.read_text(encoding="utf-8")
    head, body = text.split("\ndef denoising_autoencoder(", 1)
    body, tail = body.split("\n\n\n", 1)
    script.write_text(head + "\ndef denoising_autoencoder(" + re.sub(r"(?m)^    ", "\t", body)
                      + "\n\n\n" + tail, encoding="utf-8")
    status, rows, out = check_in(folder)
    assert status == 0 and set(rows.values()) == {"ok"} and len(rows) == len(TODOS), out


def test_check_is_not_fooled_by_lines_that_write_to_its_channel(handout, tmp_path):
    """A student's own check judges as grade does: forged events cost the TODO whose lines wrote
    them, and a result with no values is no ok."""
    folder = student_copy(handout, tmp_path / "student")
    hostile.fill_with_pass(folder)
    hostile.put_in_todo(folder, 1, hostile.forge_empty())
    status, rows, out = check_in(folder, "--todo", 1)
    assert status == 1 and rows == {1: CHANNEL}, out


@POSIX_ONLY
@pytest.mark.slow
def test_ctrl_c_in_check_keeps_the_rows_done(solution, tmp_path):
    folder = student_copy(solution, tmp_path / "student")
    edit(folder, "basic_autoencoder.py", "    samples = sess.run(",
         "    while True:\n        pass\n    samples = sess.run(")
    proc = subprocess.Popen([sys.executable, "-m", "aelab.workshop", "check"], cwd=folder,
                            env=script_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, stdin=subprocess.DEVNULL, **INTERRUPT["popen"])
    seen = [proc.stdout.readline() for _ in range(3)]  # the header, then TODOs 1 and 2
    proc.send_signal(INTERRUPT["signal"])  # while TODO 3 loops
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == INTERRUPT["status"] and "Traceback" not in err, err
    assert [rows_of(line) for line in seen[1:]] == [{1: "ok"}, {2: "ok"}]
    assert err.strip().endswith(f"Interrupted: 2 of {len(TODOS)} TODOs checked.")


def test_wrong_folders_get_one_line(tmp_path, handout):
    result = run_main("aelab.workshop.__main__", "check", tmp_path, cwd=REPO, check=False)
    assert result.returncode == 1
    assert result.stderr.strip().endswith("it is not a folder made by python -m aelab.workshop make")
    again = run_main("aelab.workshop.__main__", "make", handout, cwd=REPO, check=False)
    assert again.returncode == 1 and "is not empty; choose a new folder" in again.stderr
    assert "Traceback" not in result.stderr + again.stderr


def test_sources_are_read_as_python_reads_them():
    korean = "# 한글 주석\nX = 1\n"
    assert source.decode_source(codecs.BOM_UTF8 + korean.encode(), "aelab/model.py") == korean
    assert "X = 1" in source.decode_source(korean.encode("cp949"), "aelab/model.py")
    cookie = "# -*- coding: cp949 -*-\nX = '한글'\n"
    assert source.decode_source(cookie.encode("cp949"), "basic_autoencoder.py") == cookie
    with pytest.raises(source.Problem, match="basic_autoencoder.py is not saved as UTF-8, so "
                                              "Python will not run it: save it as UTF-8"):
        source.decode_source(korean.encode("cp949"), "basic_autoencoder.py")
    with pytest.raises(source.Problem, match="aelab/model.py is not saved as UTF-8: save it as UTF-8"):
        source.decode_source("X = '한글'\n".encode("cp949"), "aelab/model.py")
