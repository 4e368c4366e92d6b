"""The README's quick start, run as written in a fresh virtual environment on a clean checkout."""

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


def checkout(into):
    """The kit's files as a clean clone of this working tree holds them: what git tracks, and
    what it would add, but nothing it ignores (run folders, data, caches)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO, capture_output=True, check=True).stdout.decode()
    for path in filter(None, listed.split("\0")):
        if os.path.isfile(os.path.join(REPO, path)):
            os.makedirs(os.path.join(into, os.path.dirname(path)), exist_ok=True)
            shutil.copy2(os.path.join(REPO, path), os.path.join(into, path))
    return into


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
