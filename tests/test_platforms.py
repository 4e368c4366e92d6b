"""What Windows, macOS and a Jupyter kernel do differently, each stood in for on this machine:
Windows' path rules through ntpath, its errors by their numbers, other encodings through
PYTHONIOENCODING, a stream without reconfigure, no standard error, and a real Jupyter kernel."""

import argparse
import errno
import io
import json
import ntpath
import os
import posixpath
import re
import sys
import types

import matplotlib
import pytest

from aelab import checkpoints, cli, faults, figures, input_data, paths, record, steps
from aelab.workshop.todos import TODOS
from running import REPO, as_seen, epochs_kept, last_line, quick, run_main, run_process, script_env
from shared import TrainedRuns

LOGDIR = TrainedRuns.DEEP


# ---------------------------------------------------------------- paths as Windows reads them

@pytest.mark.parametrize("pathmod, typed, expected", [
    (ntpath, "run/", "run.old"), (ntpath, "run\\", "run.old"),
    (ntpath, "C:\\practice\\run\\", "C:\\practice\\run.old"), (ntpath, "D:run", "D:run.old"),
    (posixpath, "run/", "run.old"), (posixpath, "/tmp/run//", "/tmp/run.old"),
])
def test_a_name_beside_a_folder_ignores_the_separator_that_ends_it(pathmod, typed, expected):
    assert paths.beside(typed, ".old", pathmod) == expected


def test_a_checkpoint_on_another_drive_is_named_as_it_is():
    assert paths.shown("D:\\runs\\model-checkpoint-0001-5", "C:\\practice", ntpath) == \
        "D:\\runs\\model-checkpoint-0001-5"
    assert paths.shown("C:\\practice\\run\\m", "C:\\practice", ntpath) == "run\\m"


def test_a_data_dir_on_a_drive_that_is_not_there_is_refused_in_one_message():
    splits = []

    def split(path):  # ntpath's, counted: a walk up that never ends fails here instead of hanging
        splits.append(path)
        assert len(splits) < 20, splits[:4]
        return ntpath.split(path)
    windows = types.SimpleNamespace(**{name: getattr(ntpath, name) for name in dir(ntpath)
                                       if not name.startswith("__")})
    windows.split = split
    with pytest.raises(argparse.ArgumentTypeError, match=re.escape(
            "there is no folder Z:\\mnist\\data; check the path, or, to download")):
        input_data.data_folder("Z:\\mnist\\data", windows)


def test_restart_and_make_with_a_trailing_separator(trained, tmp_path, small_dataset):
    trained.copy(LOGDIR, tmp_path)
    run_main("autoencoder_mnist.py", 2, "--epochs", 1, "--restart", "--logdir", LOGDIR + os.sep,
             *quick(trained.data), cwd=tmp_path)
    assert sorted(n.split(".")[0] for n in os.listdir(tmp_path)) == [LOGDIR, LOGDIR]
    assert epochs_kept(tmp_path / LOGDIR) == [1]
    run_main("aelab.workshop.__main__", "make", str(tmp_path / "practice") + os.sep, cwd=tmp_path)
    assert (tmp_path / "practice" / "README.md").is_file()
    assert not (tmp_path / "practice" / ".part").exists() and not (tmp_path / "practice.part").exists()


def test_a_restart_that_windows_refuses_says_to_close_the_program(trained, tmp_path, monkeypatch):
    trained.copy(LOGDIR, tmp_path)

    def refused(source, target):  # what Windows does while TensorBoard or Explorer has it open
        raise PermissionError(errno.EACCES, "Access is denied", source)
    monkeypatch.setattr(checkpoints.os, "rename", refused)
    result = run_main("autoencoder_mnist.py", 2, "--epochs", 1, "--restart", *quick(trained.data),
                      cwd=tmp_path, check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert last_line(result) == (
        f"error: could not move {LOGDIR} aside for --restart (Access is denied): a folder that "
        f"another program has open (TensorBoard, Explorer, a command prompt in it) cannot be "
        f"renamed on Windows; close that program and run the same command again, or choose "
        f"another --logdir")
    assert epochs_kept(tmp_path / LOGDIR) == [1, 2, 3]


# ---------------------------------------------------------------- Windows' errors

def test_a_record_open_in_excel_says_so(trained, tmp_path, monkeypatch):
    trained.copy(LOGDIR, tmp_path)

    def in_use(logdir, kind, row):  # Excel holds record.csv: a sharing violation (WinError 32)
        error = PermissionError(errno.EACCES, "The process cannot access the file because it is "
                                "being used by another process", os.path.join(logdir, "record.csv"))
        error.winerror = 32
        raise error
    monkeypatch.setattr(record, "append_record", in_use)
    result = run_main("autoencoder_mnist.py", 2, "--epochs", 4, *quick(trained.data),
                      cwd=tmp_path, check=False)
    assert result.returncode == 1
    assert re.fullmatch(
        rf"error: could not write into {LOGDIR}: record\.csv is open in another program \(Excel\? "
        rf"OneDrive\?\), which keeps others from writing it\. Last whole checkpoint: .*; each "
        rf"checkpoint needs about \d+ MB\. Close it there and run the same command to resume\.",
        last_line(result)), last_line(result)


def test_errors_the_system_has_no_words_for_are_not_taken_for_failed_writes():
    import tensorflow.compat.v1 as tf
    windows = faults.cannot_write(lambda code: "Unknown error" if code == errno.EDQUOT
                                  else os.strerror(code))
    assert errno.EDQUOT not in windows and errno.ENOSPC in windows
    read_error = tf.errors.UnknownError(None, None, "model-checkpoint-0001-5.index; Unknown error")
    assert faults.write_problem(read_error, windows) is None
    full = tf.errors.ResourceExhaustedError(None, None, "x.data-00000-of-00001; No space left on device")
    assert faults.write_problem(full, windows) == "No space left on device (writing x.data-00000-of-00001)"


def test_signal_names_a_windows_user_knows():
    assert steps.signal_name(2) == "Ctrl-C"
    if hasattr(steps.signal, "SIGBREAK"):
        assert steps.signal_name(steps.signal.SIGBREAK) == "Ctrl-Break"


# ---------------------------------------------------------------- output where it is not a terminal

def test_scripts_run_where_stdout_cannot_be_reconfigured(monkeypatch):
    """Jupyter's %run, Spyder and IDLE give sys.stdout no reconfigure."""
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    with pytest.raises(SystemExit) as info:
        cli.run(lambda: print(cli.KOREAN) or 0)
    assert info.value.code == 0 and out.getvalue() == "최적화 완료!\n"


def test_korean_goes_out_as_utf8_where_the_locale_cannot_write_it(monkeypatch):
    """A pipe on English Windows or in Git Bash writes cp1252: Korean goes out as UTF-8 instead."""
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="cp1252")
    monkeypatch.setattr(sys, "stdout", stream)
    monkeypatch.delenv("PYTHONIOENCODING", raising=False)
    cli.prepare_output()
    print(cli.KOREAN)
    stream.flush()
    assert raw.getvalue().decode("utf-8") == "최적화 완료!\n"


@pytest.mark.parametrize("encoding", ["ascii", "cp949"])
def test_the_checker_table_in_a_pipe_of_another_encoding(handout, encoding):
    result = run_process(["-m", "aelab.workshop", "check"], cwd=handout, check=False,
                         env=script_env(PYTHONIOENCODING=encoding), encoding=None)
    assert result.returncode == 1 and b"Traceback" not in result.stderr, result.stderr
    table = result.stdout.decode(encoding)
    if encoding == "cp949":
        assert "오토인코더 모델 구성" in table
    else:
        assert "\\uc624\\ud1a0" in table  # escaped, where the encoding has no Korean
    assert table.strip().endswith(f"0 of {len(TODOS)} TODOs ok")


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_the_progress_line_uses_no_escape_codes(monkeypatch):
    """The classic Windows console prints escape codes as text: the line is rubbed out with spaces."""
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setattr(steps.Progress, "MININTERVAL", 0)  # every step drawn
    bar = steps.Progress(20, "Epoch 0004/1000")
    for step in range(1, 21):
        bar.update(1.0 / step, 9720.0)
    bar.close()
    shown = terminal.getvalue()
    assert "\033" not in shown
    assert "\rEpoch 0004/1000 100%|" in shown and "| 20/20 [" in shown
    assert "], cost 0.0500; the run: about 2 h 42 min left" in shown
    assert shown.endswith("\r" + " " * len(shown.split("\r")[-2]) + "\r")


@pytest.mark.parametrize("where", ["terminal", "file", "Jupyter cell"])
def test_the_progress_line_goes_where_it_is_seen_and_nowhere_else(where, monkeypatch):
    """On a terminal's stderr; in a Jupyter cell on stdout (its stderr is pink, for real
    problems); not at all into output sent to a file or a pipe."""
    out, err = io.StringIO(), Terminal() if where == "terminal" else io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(cli, "in_a_kernel", lambda: where == "Jupyter cell")
    watch = steps.Steps(3, epochs=2)
    for _ in range(6):
        watch.step_done(0.5)
    drawn = {"terminal": err, "file": None, "Jupyter cell": out}[where]
    for stream in (out, err):
        assert ("Epoch 0002/2" in stream.getvalue()) == (stream is drawn), where


def test_the_time_left_is_the_runs(monkeypatch):
    """The pace since the first step, times the steps left in the whole run."""
    now = [100.0]
    monkeypatch.setattr(steps.time, "monotonic", lambda: now[0])
    watch = steps.Steps(10, epoch=4, epochs=1000)  # resumed after epoch 4 of 1000
    watch.step_done(1.0)  # the first step ends at 100 s: no pace yet
    assert watch.run_left() is None
    now[0] = 102.0
    watch.step_done(1.0)  # the second takes 2 s
    assert watch.run_left() == pytest.approx(2.0 * ((1000 - 4) * 10 - 2))


def test_no_standard_error_at_all(tmp_path):
    """pythonw and IDLE from the Start menu run with no stderr: TensorFlow still starts."""
    fake = tmp_path / "tensorflow"  # a stand-in, so that no real TensorFlow start is paid here
    fake.mkdir()
    (fake / "__init__.py").write_text(
        "import sys\nclass config:\n    list_physical_devices = staticmethod(lambda kind=None: [])\n"
        "class _Logger:\n    def setLevel(self, level): pass\n"
        "get_logger = lambda: _Logger()\n"
        "class compat:\n    class v1:\n        disable_eager_execution = staticmethod(lambda: None)\n")
    code = ("import os, sys; os.close(2); sys.stderr = None; sys.path[:0] = sys.argv[1:3]; "
            "import aelab.quiet_tensorflow; print('started', os.environ.get('TF_CPP_MIN_LOG_LEVEL'))")
    for level in (None, "3"):  # the user's own setting (none, or 3) is what is left
        env = script_env()
        env.pop("TF_CPP_MIN_LOG_LEVEL", None)
        if level:
            env["TF_CPP_MIN_LOG_LEVEL"] = level
        result = run_process(["-c", code, str(tmp_path), REPO], cwd=tmp_path, check=False, env=env)
        assert result.returncode == 0 and result.stdout == f"started {level}\n", result


# ---------------------------------------------------------------- a run folder from elsewhere

def test_data_recorded_on_another_machine_is_read_from_this_one(trained, tmp_path, small_dataset):
    logdir = trained.copy(LOGDIR, tmp_path)
    config_path = os.path.join(logdir, record.CONFIG_FILE)
    with open(config_path) as f:
        config = json.load(f)
    config["data_dir"] = "/no/such/machine/mnist/data"  # as trained elsewhere
    with open(config_path, "w") as f:
        json.dump(config, f)
    import shutil
    shutil.copytree(small_dataset, tmp_path / "mnist" / "data")  # where this machine has MNIST
    result = run_main("ae_vs_pca.py", LOGDIR, "--validation-size", 500, "--no-show", cwd=tmp_path)
    assert ("The data folder recorded beside the checkpoint, /no/such/machine/mnist/data, is not "
            "on this machine; reading MNIST from ./mnist/data/ instead (--data-dir to choose "
            "another)") in result.stderr
    assert "deep autoencoder, epoch 3" in result.stdout
    assert not os.path.exists("/no/such/machine")


# ---------------------------------------------------------------- a Jupyter kernel

def test_figures_count_as_shown_under_jupyters_inline_backend(monkeypatch):
    monkeypatch.setattr(matplotlib, "get_backend", lambda: "module://matplotlib_inline.backend_inline")
    assert figures.has_display()
    monkeypatch.setattr(matplotlib, "get_backend", lambda: "agg")
    assert not figures.has_display()


@pytest.mark.slow
def test_a_script_in_a_jupyter_kernel(trained, tmp_path, kernel_in):
    """The kernel's interrupt stops a %run as Ctrl-C does, the kernel goes on, and main() from a
    cell resumes. (The notebooks' tests run each lab script there, and show its figures.)"""
    kernel = kernel_in(tmp_path)
    script = os.path.join(REPO, "autoencoder_mnist.py")
    long = kernel.execute(f"%run {script} 2 --epochs 50 --batch-size 10 --steps-per-epoch 100 "
                          f"--data-dir {trained.data} --validation-size 500 --logdir long",
                          interrupt_after="Validation Loss:")
    assert re.search(r"^Epoch: 0001 cost = \d+\.\d{9}\nValidation Loss: \d+\.\d+\n",
                     as_seen(long.stdout), re.M), long.stdout
    assert re.search(r"\rEpoch 0001/50 +\d+%\|", long.stdout)  # the progress line, in the cell
    assert "Extracting" not in long.stderr and "%|" not in long.stderr
    assert re.search(r"Stopped by Ctrl-C in epoch (2, at step \d+ of 100|1); last checkpoint: ",
                     long.stderr), long
    assert not long.errors and "SystemExit" not in long.stderr  # one line, the kernel goes on

    argv = ["2", "--epochs", "2", *map(str, quick(trained.data)), "--logdir", "long"]
    again = kernel.execute(f"import autoencoder_mnist\nprint('status', autoencoder_mnist.main({argv!r}))")
    assert "Resuming from long" in again.stdout and "status 0" in again.stdout, again
    assert "image/png" in again.shown  # the loss curve, below the cell
