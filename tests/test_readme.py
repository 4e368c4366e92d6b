"""The README's quick start, run as written in a fresh virtual environment on a clean checkout."""

import fnmatch
import os
import re
import shutil
import subprocess

import pytest

from running import REPO, script_env


def quick_start(heading):
    """The lines of the README's first code block after the words `heading`."""
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as f:
        text = f.read()
    after = text[text.index(heading):]
    return re.search(r"^```\n(.*?)^```", after, re.M | re.S).group(1).strip().splitlines()


def gitignored(path, is_folder, rules):
    """Whether the rules of .gitignore files leave out path (relative to the kit, "/" between
    names), as git reads the kinds of line the kit's have: a name matched at any depth (`*.pyc`,
    `__pycache__/`), one anchored (`/mnist/`) or holding a "/" (`docs/*.png`), a folder only
    (ending in "/"), and an exception (`!`); rules: (the folder of their .gitignore, "" or
    "dir/", rule), a deeper file's after its parents', and the last rule that matches decides."""
    ignored = False
    for base, rule in rules:
        pattern = rule.removeprefix("!")
        if not path.startswith(base) or (pattern.endswith("/") and not is_folder):
            continue
        inside = path[len(base):].split("/")
        wanted = pattern.strip("/").split("/")  # a "*" matches within one name, as git's
        names = inside if "/" in pattern.rstrip("/") else inside[-1:]
        if len(names) == len(wanted) and all(map(fnmatch.fnmatchcase, names, wanted)):
            ignored = not rule.startswith("!")
    return ignored


def kit_files(kit=REPO):
    """The kit's files as a clean clone holds them: what git tracks, and what it would add, but
    nothing it ignores (run folders, data, caches). A copy without git's folder (GitHub's
    "Download ZIP", a folder handed round on a USB stick) is read with its .gitignore files."""
    if os.path.exists(os.path.join(kit, ".git")):
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                                cwd=kit, capture_output=True, check=True).stdout.decode()
        return sorted(p for p in listed.split("\0") if p and os.path.isfile(os.path.join(kit, p)))
    rules, found = [], []
    for folder, folders, files in os.walk(kit):
        at = os.path.relpath(folder, kit).replace(os.sep, "/")
        inside = "" if at == "." else at + "/"
        if ".gitignore" in files:
            with open(os.path.join(folder, ".gitignore"), encoding="utf-8") as f:
                rules += [(inside, line.strip()) for line in f
                          if line.strip() and not line.startswith("#")]
        folders[:] = [d for d in folders if not gitignored(inside + d, True, rules)]
        found += [inside + name for name in files if not gitignored(inside + name, False, rules)]
    return sorted(found)


def checkout(into):
    """A clean checkout of the kit in `into`: its files (kit_files) copied there."""
    for path in kit_files():
        os.makedirs(os.path.join(into, os.path.dirname(path)), exist_ok=True)
        shutil.copy2(os.path.join(REPO, path), os.path.join(into, path))
    return into


def test_a_copy_without_git_holds_the_files_a_clone_would(tmp_path):
    """What a downloaded ZIP or a copied folder holds, less what is not the kit: read with the
    kit's .gitignore where there is no git, as git itself reads it where there is."""
    shutil.copy(os.path.join(REPO, ".gitignore"), tmp_path)
    kit = ["lab.py", ".ci/run", "aelab/mnist/reader.py", "docs/loss.png", "feedback.md",
           "sub/grades.csv", "tests/x_logs.py"]
    other = [".ruff_cache/.gitignore", ".ruff_cache/0.15/123", "mnist/data/train.gz",
             "fashion-mnist/t10k.gz", "run_logs/model-checkpoint-0001-5.index",
             "run_logs.20260101-120000/record.csv", "figure.png", "docs/old/shot.png",
             "aelab/__pycache__/cli.cpython-311.pyc", "lab.pyc", ".pytest_cache/v/x",
             ".venv/bin/python", "aelab/.venv/lib/site.py", "grades.csv", "feedback/1234.txt"]
    for path in kit + other:
        os.makedirs(tmp_path / os.path.dirname(path), exist_ok=True)
        (tmp_path / path).write_text("*\n" if path.endswith(".gitignore") else "x")
    expected = sorted(kit + [".gitignore"])
    assert kit_files(str(tmp_path)) == expected
    if shutil.which("git"):  # git's own reading of the same folder, where git is installed
        subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
        assert kit_files(str(tmp_path)) == expected


def test_the_quick_start_names_a_venv_for_each_system():
    assert quick_start("On Linux and macOS:") == [
        "python3 -m venv .venv", ". .venv/bin/activate", "pip install -r requirements.txt"]
    assert quick_start("On Windows, in a Command Prompt") == [
        "py -m venv .venv", ".venv\\Scripts\\activate", "pip install -r requirements.txt"]
    assert quick_start("Then, in that window") == ["python autoencoder_mnist.py 2",
                                                   "python -m pytest"]


@pytest.mark.slow
def test_the_quick_start_runs_as_written_in_a_fresh_venv(tmp_path, fashion_dir):
    """The set-up lines in a clean checkout, then the main job (short) in the venv they made."""
    kit = checkout(tmp_path / "kit")
    job = ["python autoencoder_mnist.py 2 --epochs 1 --steps-per-epoch 3 --validation-size 500 "
           f"--data-dir {fashion_dir} --no-show", "python -c 'import sys; print(sys.prefix)'"]
    env = script_env()
    env.pop("VIRTUAL_ENV", None)  # as a new terminal: no environment active
    try:
        result = subprocess.run(["bash", "-ec", "\n".join(quick_start("On Linux and macOS:") + job)],
                                cwd=kit, env=env, capture_output=True, text=True,
                                stdin=subprocess.DEVNULL)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        assert "Epoch: 0001 cost = " in result.stdout and "Test Loss: " in result.stdout
        assert result.stdout.strip().splitlines()[-1] == str(kit / ".venv")  # python: the venv's
    finally:
        shutil.rmtree(kit / ".venv", ignore_errors=True)  # 2.6 GB: not kept with the tmp folders
