"""The workshop handout: blanks that stop with one line, a checker that names the right TODO."""

import ast
import os
import re
import shutil

import pytest

from aelab import workshop
from conftest import REPO, run_main, run_scripts, write_idx_dataset


def make(folder, *args):
    return run_main("aelab.workshop", "make", folder, *args, cwd=REPO)


def check(folder):
    """(exit status, {TODO number: result}, output) of `python -m aelab.workshop check FOLDER`."""
    result = run_main("aelab.workshop", "check", folder, cwd=REPO, check=False)
    rows = {}
    for line in result.stdout.splitlines()[1:-1]:
        number, rest = line.split(maxsplit=1)
        rows[int(number)] = re.split(r"\s{2,}", rest.strip())[-1]
    return result.returncode, rows, result.stdout + result.stderr


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    folder = tmp_path_factory.mktemp("data")
    write_idx_dataset(str(folder))
    return folder


@pytest.fixture(scope="module")
def handout(tmp_path_factory, small):
    folder = tmp_path_factory.mktemp("workshop") / "handout"
    make(folder, "--data-dir", small)
    return folder


@pytest.fixture(scope="module")
def solution(tmp_path_factory, small):
    folder = tmp_path_factory.mktemp("workshop") / "solution"
    make(folder, "--data-dir", small, "--solution")
    return folder


def test_handout_holds_the_lab_data_readme_and_a_marked_stub_per_todo(handout, small):
    assert sorted(os.listdir(handout)) == ["README.md", "ae_vs_pca.py", "aelab",
                                           "autoencoder_mnist.py", "basic_autoencoder.py",
                                           "denoising_autoencoder_mnist.py", "dn_ae_test.py",
                                           "mnist", "requirements.txt"]
    assert sorted(os.listdir(handout / "mnist" / "data")) == sorted(os.listdir(small))
    assert not list(handout.rglob("__pycache__"))
    readme = (handout / "README.md").read_text(encoding="utf-8")
    assert readme.index("준비") < readme.index("Set-up") and "jupyter notebook" in readme
    assert "python -m aelab.workshop check" in readme and "저장은 필수" in readme
    for todo in workshop.TODOS:
        assert f"| {todo.number} | {todo.title} |" in readme
        for region in todo.regions:
            text = (handout / region.file).read_text(encoding="utf-8")
            assert f"# TODO {todo.number}: {todo.title} ({region.file}, {region.function}())" in text
            assert (f'raise SystemExit("TODO {todo.number} ({todo.title}) is not filled in yet: '
                    f'{region.file}, {region.function}()")') in text
        assert re.search(r"# 힌트: \S", text) and re.search(r"# Hint: \S", text)
    assert "notebook" in (handout / "requirements.txt").read_text()


def test_the_handout_does_not_hold_the_answers(handout):
    """No line of a blank, as the kit has it, appears anywhere in the handout."""
    answers = set()
    for todo in workshop.TODOS:
        for region in todo.regions:
            with open(os.path.join(REPO, region.file), encoding="utf-8") as f:
                text = f.read()
            first, last, _ = workshop._span(ast.parse(text), region)
            answers |= {line.strip() for line in text.splitlines()[first - 1:last]
                        if len(line.strip()) > 16 and not line.strip().startswith("#")}
    assert len(answers) > 30
    for path in handout.rglob("*"):
        if path.is_file() and path.suffix in (".py", ".md", ".json", ".txt"):
            text = path.read_text(encoding="utf-8")
            leaked = [line for line in answers if line in text]
            assert not leaked, f"{path.name}: {leaked[:3]}"


@pytest.mark.slow
def test_an_unfilled_script_stops_with_one_line(handout):
    scripts = [("basic_autoencoder.py", [], 1), ("autoencoder_mnist.py", [2], 5),
               ("denoising_autoencoder_mnist.py", [2], 9)]
    results = run_scripts(handout, *([script, *args, "--epochs", 1, "--steps-per-epoch", 2]
                                     for script, args, _ in scripts))
    for (script, _, todo), result in zip(scripts, results):
        assert result.returncode == 1, script
        last = result.stderr.strip().splitlines()[-1]
        title = workshop.TODOS[todo - 1].title
        assert re.fullmatch(rf"TODO {todo} \({re.escape(title)}\) is not filled in yet: \S+, \w+\(\)",
                            last), script
        assert "Traceback" not in result.stderr and result.stdout == "", script
    assert not [name for name in os.listdir(handout) if name.endswith("_logs")]


def test_check_on_a_fresh_handout_lists_every_todo_as_not_filled_in(handout):
    status, rows, out = check(handout)
    assert status == 1, out
    assert rows == {todo.number: "not filled in yet" for todo in workshop.TODOS}, out
    assert out.strip().endswith("0 of 10 TODOs ok")


def test_the_solution_passes_check(solution):
    status, rows, out = check(solution)
    assert status == 0 and set(rows.values()) == {"ok"}, out


@pytest.mark.slow
def test_every_script_of_the_solution_runs_offline_with_no_flag(solution):
    quick = ["--epochs", 1, "--steps-per-epoch", 3, "--validation-size", 500, "--no-show"]
    results = run_scripts(solution, ["basic_autoencoder.py", *quick],
                          ["autoencoder_mnist.py", 2, *quick],
                          ["denoising_autoencoder_mnist.py", 2, *quick],
                          ["ae_vs_pca.py", "mnist_autoencoder_hidden=2_logs", "--no-show"],
                          ["dn_ae_test.py", "dn_mnist_autoencoder_hidden=2_logs", "--no-show"])
    for result in results:
        assert result.returncode == 0, result.stderr[-2000:]
    for result in results[:3]:
        assert "Downloading" not in result.stderr and "./mnist/data/" in result.stderr
    assert "Test Loss:" in results[1].stdout and "최적화 완료!" in results[0].stdout


MISTAKES = {
    "transposed weight shape": (
        "basic_autoencoder.py", "tf.random_normal([n_input, n_hidden])",
        "tf.random_normal([n_hidden, n_input])",
        1, "W_encode has shape [256, 784], expected [784, 256]"),
    "relu instead of sigmoid": (
        os.path.join("aelab", "model.py"), "return tf.nn.sigmoid(layer_batch_norm(",
        "return tf.nn.relu(layer_batch_norm(",
        4, "output differs from the reference: is the activation a sigmoid"),
    "the loss without the square root": (
        os.path.join("aelab", "model.py"),
        "l2 = tf.sqrt(tf.reduce_sum(tf.square(tf.subtract(output, x)), 1))",
        "l2 = tf.reduce_sum(tf.square(tf.subtract(output, x)), 1)",
        6, "train_loss is "),
    "c_x from x only": (
        "denoising_autoencoder_mnist.py", "c_x = (corrupt_input(x) * corrupt) + (x * (1 - corrupt))",
        "c_x = x", 9, "c_x with corrupt = 1 differs from the reference"),
    "a syntax error": (
        os.path.join("aelab", "model.py"), 'W = tf.get_variable("W", weight_shape, initializer=weight_init)',
        'W = tf.get_variable("W", weight_shape, initializer=weight_init', 4,
        "SyntaxError in aelab/model.py line "),
    "the loss against c_x": (
        "denoising_autoencoder_mnist.py", "cost, train_summary_op = loss(output, x)",
        "cost, train_summary_op = loss(output, c_x)", 10, "cost differs from the reference"),
    "the denoising feed left out of the loop": (
        "autoencoder_mnist.py", "feed_dict={x: minibatch_x, phase_train: True, **feed})",
        "feed_dict={x: minibatch_x, phase_train: True})", 7, "the weights after 3 steps differ"),
    "a name error": (
        os.path.join("aelab", "model.py"), "return x * tf.cast(corrupting_matrix, tf.float32)",
        "return x * tf.cast(corrupting_mask, tf.float32)", 8,
        "NameError: name 'corrupting_mask' is not defined (aelab/model.py line "),
}


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_check_names_the_todo_of_a_typical_mistake(solution, tmp_path, mistake):
    path, right, wrong, todo, message = MISTAKES[mistake]
    folder = tmp_path / "student"
    shutil.copytree(solution, folder, ignore=shutil.ignore_patterns("mnist", "*_logs", "*.png"))
    text = (folder / path).read_text(encoding="utf-8")
    assert text.count(right) == 1
    (folder / path).write_text(text.replace(right, wrong), encoding="utf-8")
    status, rows, out = check(folder)
    assert status == 1, out
    assert rows.pop(todo).startswith(message), out
    assert set(rows.values()) == {"ok"}, out  # every other TODO is still checked, and passes


def test_wrong_folders_get_one_line(tmp_path, handout):
    result = run_main("aelab.workshop", "check", tmp_path, cwd=REPO, check=False)
    assert result.returncode == 1
    assert result.stderr.strip().endswith("it is not a folder made by python -m aelab.workshop make")
    again = run_main("aelab.workshop", "make", handout, cwd=REPO, check=False)
    assert again.returncode == 1 and "is not empty; choose a new folder" in again.stderr
    assert "Traceback" not in result.stderr + again.stderr
