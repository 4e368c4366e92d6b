"""bench/notebooks_in_browser.py where it cannot run: what it says, and what it leaves behind.
(Its run in a real browser is looked at by hand; it needs packages the kit does not install.)"""

import importlib.util
import os
import sys
import tempfile

import pytest

from running import REPO


@pytest.fixture
def bench(monkeypatch, tmp_path):
    """The script as a module, its temporary folders made in tmp_path/temp."""
    path = os.path.join(REPO, "bench", "notebooks_in_browser.py")
    spec = importlib.util.spec_from_file_location("notebooks_in_browser", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    (tmp_path / "temp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "temp"))
    return module


def test_what_is_missing_is_said_in_one_line_before_anything_is_made(bench, monkeypatch,
                                                                     tmp_path, capsys):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name: None if name in ("notebook", "selenium") else real_find_spec(name))
    monkeypatch.setattr(bench, "CHROMEDRIVER", str(tmp_path / "no-chromedriver"))
    for present in ("CHROMIUM", "KOREAN_FONT"):
        monkeypatch.setattr(bench, present, sys.executable)  # a file that is there
    assert bench.main(["--out", str(tmp_path / "shots")]) == 2
    said = capsys.readouterr()
    assert said.out == "" and said.err == (
        "error: this needs notebook, selenium, chromium-driver, missing here; to install: pip "
        "install notebook selenium (in the kit's virtual environment); apt install chromium-driver\n")
    assert os.listdir(tmp_path / "temp") == [] and not (tmp_path / "shots").exists()


def test_a_server_that_does_not_start_is_shown_and_the_handout_removed(bench, monkeypatch,
                                                                      tmp_path):
    monkeypatch.setattr(bench, "missing", lambda: None)
    made = []

    def make_handout(folder, data_dir):  # a handout's stand-in: the cleaning up is the point
        os.makedirs(folder)
        with open(os.path.join(folder, "README.md"), "w") as f:
            f.write("handout")
        made.append(folder)
    monkeypatch.setattr(bench, "make_handout", make_handout)
    monkeypatch.setattr(bench, "SERVER", [sys.executable, "-c", (
        "import sys; print('[I 05:01:02.345 ServerApp] starting'); "
        "print('OSError: [Errno 98] Address already in use', file=sys.stderr); sys.exit(1)")])
    with pytest.raises(SystemExit) as stopped:
        bench.main(["--out", str(tmp_path / "shots")])
    assert str(stopped.value) == ("error: jupyter notebook ended with status 1:\n"
                                  "[I 05:01:02.345 ServerApp] starting\n"
                                  "OSError: [Errno 98] Address already in use")
    assert made and not os.path.exists(made[0]) and os.listdir(tmp_path / "temp") == []
