"""The handout's notebooks, run top to bottom on a real Jupyter kernel (nbclient, ipykernel),
offline, with no display, with short settings in their settings cell."""

import os
import re
import shutil

import nbformat
import pytest

from aelab.workshop import notebooks
from aelab.workshop.todos import TODOS
from running import EXTRACTING, REPO, as_seen, script_env

NAMES = [part.notebook for part in notebooks.PARTS]
SHORT = "--steps-per-epoch 3 --validation-size 500"


def execute(folder, name, settings):
    """Runs a notebook of folder on a new kernel there, its settings cell replaced by settings."""
    from nbclient import NotebookClient
    notebook = nbformat.read(os.path.join(folder, name), as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code" and cell.source.startswith(("epochs =", "options =")):
            cell.source = settings
    env = script_env()
    env.pop("PYTHONUTF8")  # as a notebook server starts a kernel
    NotebookClient(notebook, timeout=1200, kernel_name="python3").execute(cwd=str(folder), env=env)
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def shown(cell):
    """(stdout, stderr, displayed mimetypes, errors, the HTML it displayed) of an executed cell."""
    streams = {"stdout": "", "stderr": ""}
    mimetypes, errors, html = [], [], ""
    for output in cell.outputs:
        if output.output_type == "stream":
            streams[output.name] += output.text
        elif output.output_type in ("display_data", "execute_result"):
            mimetypes += list(output.data)
            html += output.data.get("text/html", "")
        elif output.output_type == "error":
            errors.append(f"{output.ename}: {output.evalue}")
    return streams["stdout"], streams["stderr"], mimetypes, errors, html


def table_rows(html):
    """{TODO number: result} of the check table a notebook cell displayed (an HTML table)."""
    return {int(number): result for number, result in
            re.findall(r"<tr><td>(\d+)</td>.*?<td[^>]*>([^<]*)</td></tr>", html)}


SLIDES_LINES = {
    "basic_autoencoder.py": r"^Epoch: 0001 Avg\. cost = \d\.\d{4}\n최적화 완료!\n",
    "autoencoder_mnist.py": r"^Epoch: 0001 cost = \d+\.\d{9}\nValidation Loss: \d+\.\d+\n"
                            r"Optimization Finished!\nTest Loss: \d+\.\d+\n",
    "ae_vs_pca.py": r"^PCA, \d+ components\s+\d+\s+\d\.\d{5}",
    "denoising_autoencoder_mnist.py": r"^Validation Loss: \d+\.\d+ \(input corrupted, as in training\)",
    "dn_ae_test.py": r"^L2 error against the clean test images",
    "conv_autoencoder_mnist.py": r"^Epoch: 0001 cost = \d+\.\d{9}\nValidation Loss: \d+\.\d+\n"
                                 r"Optimization Finished!\nTest Loss: \d+\.\d+\n",
    "sparse_autoencoder_mnist.py": r"^Epoch: 0001 cost = \d+\.\d{9} \(reconstruction \S+, penalty \S+, "
                                   r"mean activation \S+\)\nValidation Loss: ",
    "variational_autoencoder_mnist.py": r"^Epoch: 0001 cost = \d+\.\d{9} \(reconstruction \S+, KL \S+\)\n"
                                        r"Validation Loss: \d+\.\d+ \(reconstruction \S+, KL \S+\)",
}


@pytest.mark.slow
@pytest.mark.parametrize("part", range(len(notebooks.PARTS)))
def test_each_solution_notebook_runs_top_to_bottom(solution, tmp_path, part):
    numbers, commands = notebooks.numbers(notebooks.PARTS[part]), notebooks.PARTS[part].commands
    folder = shutil.copytree(solution, tmp_path / "practice")
    options = f"--epochs 1 {SHORT}" if part == 0 else SHORT
    cells = execute(folder, NAMES[part], f"epochs = 1\noptions = {options!r}")
    check = shown(cells[1])
    assert check[0].strip().endswith(f"{len(numbers)} of {len(numbers)} TODOs ok"), check
    assert table_rows(check[4]) == {n: "ok" for n in numbers}  # an HTML table in the notebook
    assert check[1] == "" and "<table>" in check[4]
    for cell, (script, *_) in zip(cells[2:], commands):
        stdout, stderr, mimetypes, errors, _ = shown(cell)
        assert not errors and stderr == "", (script, stderr[-2000:])  # pink only for problems
        assert re.search(SLIDES_LINES[script], as_seen(stdout), re.M), (script, stdout)
        assert "image/png" in mimetypes, script  # its figures, below the cell
        assert "Downloading" not in stdout  # the handout's own data, no network
    assert not [cell for cell in cells if shown(cell)[3]]


@pytest.mark.slow
def test_an_unfilled_handouts_first_notebook_shows_the_table_and_the_todo(handout, tmp_path):
    folder = shutil.copytree(handout, tmp_path / "practice")
    cells = execute(folder, NAMES[0], "options = ''")
    check, run = shown(cells[1]), shown(cells[2])
    assert table_rows(check[4]) == {n: "not filled in yet (saved?)" for n in (1, 2, 3)}
    assert check[0].strip().endswith("0 of 3 TODOs ok")
    assert run[1].strip().splitlines()[-1] == (
        "TODO 1 (오토인코더 모델 구성) is not filled in yet: basic_autoencoder.py, main()")
    assert not run[3] and "Traceback" not in run[1] and re.fullmatch(EXTRACTING, run[0])


def test_the_notebooks_are_the_kits_own_and_hold_no_outputs(handout, solution):
    for name in NAMES:
        assert (handout / name).read_text(encoding="utf-8") == \
            (solution / name).read_text(encoding="utf-8")
        notebook = nbformat.read(handout / name, as_version=4)
        nbformat.validate(notebook)
        for cell in notebook.cells:
            assert cell.get("outputs", []) == [] and cell.get("execution_count") is None
        text = "".join(cell.source for cell in notebook.cells)
        assert "!python" not in text and "%run " in text  # no shell syntax of one system
    first = nbformat.read(handout / NAMES[0], as_version=4)
    assert [c.id for c in first.cells] == [f"1-{i}" for i in range(len(first.cells))]


def test_every_todo_is_in_exactly_one_notebook():
    """A TODO names its part; each part's notebook checks those, and every part has some."""
    keys = [part.key for part in notebooks.PARTS]
    assert all(keys.count(todo.part) == 1 for todo in TODOS)
    checked = [n for part in notebooks.PARTS for n in notebooks.numbers(part)]
    assert sorted(checked) == [todo.number for todo in TODOS]
    assert all(notebooks.numbers(part) for part in notebooks.PARTS)


def test_the_notebooks_follow_the_kit(monkeypatch):
    """Made from the TODO declarations: a TODO's new title is in the next handout's notebook."""
    renamed = TODOS[4]._replace(title="인코더와 디코더 (renamed)")
    monkeypatch.setattr(notebooks, "TODOS", TODOS[:4] + (renamed,) + TODOS[5:])
    _, notebook = notebooks.build(notebooks.PARTS[1])
    text = "".join(cell.source for cell in notebook.cells)
    assert "| 5 | 인코더와 디코더 (renamed) | `aelab/model.py` `encoder()`" in text
    assert "%run -m aelab.workshop check --todo 4 5 6 7" in text
    assert "%run autoencoder_mnist.py 2 --epochs {epochs} {options}" in text


def test_the_slow_laptop_setting_is_the_one_measured_in_the_docs():
    """The notebooks' short setting for a slow laptop is the one docs/workshop.md recommends, with
    its measurement against PCA; no other shortening is advised there for the training runs."""
    settings = notebooks.build(notebooks.PARTS[1])[1].cells[1].source
    said = f'options = "{notebooks.SLOW_LAPTOP}"'
    assert said in settings
    with open(os.path.join(REPO, "docs", "workshop.md"), encoding="utf-8") as f:
        docs = f.read()
    advice = docs[docs.index("### Short settings"):]
    assert said in advice and f"--epochs {notebooks.CLASS_EPOCHS} {notebooks.SLOW_LAPTOP}" in advice
    assert "epochs = 10" not in docs and "--epochs 10" not in docs


def test_the_notebook_past_the_slides_runs_its_three_models_and_their_pictures():
    """The fourth notebook checks TODOs 11-13 and runs each new script, then ae_vs_pca.py on its run
    folder; it names the commands as typed at a prompt, not as the slides' (no slide shows them)."""
    part = notebooks.PARTS[3]
    _, notebook = notebooks.build(part)
    text = "".join(cell.source for cell in notebook.cells)
    assert notebooks.numbers(part) == (11, 12, 13) and "%run -m aelab.workshop check --todo 11 12 13" in text
    assert [c.source for c in notebook.cells if c.source.startswith("%run ") and "check" not in c.source] == [
        "%run conv_autoencoder_mnist.py 2 --epochs {epochs} {options}",
        "%run ae_vs_pca.py conv_mnist_autoencoder_hidden=2_logs",
        "%run sparse_autoencoder_mnist.py --epochs {epochs} {options}",
        "%run ae_vs_pca.py sparse_mnist_autoencoder_logs",
        "%run variational_autoencoder_mnist.py 2 --epochs {epochs} {options}",
        "%run ae_vs_pca.py vae_mnist_hidden=2_logs"]
    assert "at a command prompt: `python variational_autoencoder_mnist.py 2`" in text
    assert "the slides' command" not in text and "follows the slides'" not in text
