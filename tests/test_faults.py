"""Runs that survive what happens to them: a second run, a full or read-only disk, signals,
damaged files, odd values. Each ends with one line, loses nothing saved, and resumes."""

import csv
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest
import tensorflow.compat.v1 as tf

import autoencoder_mnist
from aelab import lock, runs
from conftest import REPO
from test_training_scripts import epochs_kept, quick, read_record, run, script_env

LOGDIR = "mnist_autoencoder_hidden=2_logs"


def start(small_data, tmp_path, *extra):
    """A long run in the background (batches of 10: 500 steps an epoch); returns it after epoch 1."""
    proc = subprocess.Popen(
        [sys.executable, os.path.join(REPO, "autoencoder_mnist.py"), "2", "--epochs", "50",
         "--batch-size", "10", "--data-dir", small_data, "--validation-size", "500", "--seed", "1",
         *extra], cwd=tmp_path, env=script_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    for line in proc.stdout:
        if line.startswith("Validation Loss:"):
            break
    return proc


def last_line(result):
    return result.stderr.strip().splitlines()[-1]


def test_a_second_run_into_a_held_folder_stops_at_once(small_data, tmp_path):
    first = start(small_data, tmp_path)
    second = run("autoencoder_mnist.py", 2, "--epochs", 50, "--batch-size", 10, "--data-dir",
                 small_data, "--validation-size", 500, cwd=tmp_path, check=False)
    first.send_signal(signal.SIGINT)
    first.communicate(timeout=120)
    assert second.returncode == 1 and "Traceback" not in second.stderr
    assert last_line(second).startswith(f"error: {LOGDIR} is in use by another run (process "
                                        f"{first.pid}, started ")
    epochs = [row["epoch"] for row in read_record(str(tmp_path / LOGDIR))]
    assert epochs == sorted(set(epochs)) and epochs  # each epoch once, from the first run only
    assert not (tmp_path / LOGDIR / lock.LOCK_FILE).exists()  # given back when the run ended


def test_a_lock_left_by_a_killed_run_is_taken_over(small_data, tmp_path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    folder = tmp_path / LOGDIR
    folder.mkdir()
    (folder / lock.LOCK_FILE).write_text(json.dumps(
        {"pid": gone.pid, "host": socket.gethostname(), "started": "2026-01-01 09:00:00"}))
    result = run("autoencoder_mnist.py", 2, "--epochs", 1, *quick(small_data), cwd=tmp_path)
    assert (f"Taking over {LOGDIR} from a run that ended without finishing (process {gone.pid}, "
            f"started 2026-01-01 09:00:00)") in result.stderr
    assert epochs_kept(str(folder)) == [1] and not (folder / lock.LOCK_FILE).exists()


def test_lock_is_refused_to_a_live_process_and_released(tmp_path):
    held = lock.FolderLock(str(tmp_path))
    held.acquire()
    with pytest.raises(SystemExit, match=f"in use by another run \\(process {os.getpid()}"):
        lock.FolderLock(str(tmp_path)).acquire()
    held.release()
    assert not (tmp_path / lock.LOCK_FILE).exists()
    assert lock.process_alive(os.getpid())


def test_a_failed_checkpoint_write_ends_with_one_line_and_the_run_resumes(small_data, tmp_path,
                                                                         monkeypatch, capsys):
    real_save = tf.train.Saver.save
    saves = []

    def save_until_the_disk_is_full(self, sess, path, *args, **kwargs):
        saves.append(path)
        if len(saves) == 2:  # what a full disk leaves: a partial .tempstate file, then the error
            (tmp_path / LOGDIR / "model-checkpoint-0002-10.data-00000-of-00001.tempstate42"
             ).write_bytes(b"\0" * 1000)
            raise tf.errors.ResourceExhaustedError(
                None, None, f"{path}-10.data-00000-of-00001.tempstate42; No space left on device")
        return real_save(self, sess, path, *args, **kwargs)

    monkeypatch.setattr(tf.train.Saver, "save", save_until_the_disk_is_full)
    monkeypatch.chdir(tmp_path)
    args = ["2", "--epochs", "3", "--no-show", *map(str, quick(small_data))]
    assert autoencoder_mnist.main(args) == 1
    err = capsys.readouterr().err
    assert re.search(re.escape(f"error: could not write into {LOGDIR}: No space left on device "
                               f"(writing model-checkpoint-0002-10.data-00000-of-00001). Last "
                               f"whole checkpoint: "
                               f"{os.path.join(LOGDIR, 'model-checkpoint-0001-5')}; each checkpoint "
                               f"needs about ") + r"3\d MB\. Make room", err), err
    assert sorted(os.listdir(tmp_path / LOGDIR)) == sorted(
        ["checkpoint", "loss_curve.png", "model_config.json", "record.csv", "train", "validation"]
        + [f"model-checkpoint-0001-5.{e}" for e in ("index", "meta", "data-00000-of-00001")])
    monkeypatch.setattr(tf.train.Saver, "save", real_save)
    assert autoencoder_mnist.main(args) == 0
    assert "Resuming from" in capsys.readouterr().out
    assert [row["epoch"] for row in read_record(str(tmp_path / LOGDIR))] == ["1", "2", "3"]


def _mount(tmp_path, options):
    """A small tmpfs at tmp_path/disk (root on Linux only); None where the machine does not allow it."""
    target = tmp_path / "disk"
    target.mkdir()
    if not sys.platform.startswith("linux") or os.geteuid() != 0 or shutil.which("mount") is None:
        return None
    if subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)],
                      capture_output=True).returncode != 0:
        return None
    return target


@pytest.fixture
def small_disk(tmp_path):
    target = _mount(tmp_path, "size=40m")
    if target is None:
        pytest.skip("cannot mount a small tmpfs here (needs root on Linux)")
    yield target
    subprocess.run(["umount", str(target)])


def test_a_real_full_disk(small_data, tmp_path, small_disk):
    logdir = small_disk / "run"
    full = run("autoencoder_mnist.py", 2, "--epochs", 3, *quick(small_data), "--logdir", logdir,
               cwd=tmp_path, check=False)
    assert full.returncode == 1 and "Traceback" not in full.stderr
    assert "No space left on device" in last_line(full)
    assert re.search(r"each checkpoint needs about 3\d MB", last_line(full))
    assert epochs_kept(str(logdir)) == [1]
    assert not [n for n in os.listdir(logdir) if "tempstate" in n or n.startswith("model-checkpoint-0002")]
    subprocess.run(["mount", "-o", "remount,size=120m", str(small_disk)], check=True)
    again = run("autoencoder_mnist.py", 2, "--epochs", 3, *quick(small_data), "--logdir", logdir,
                cwd=tmp_path)
    assert "(epoch 1, step 5)" in again.stdout and epochs_kept(str(logdir)) == [1, 2, 3]


def test_read_only_places(small_data, tmp_path):
    target = _mount(tmp_path, "ro,size=1m")
    if target is None:  # not root: permissions are enough
        target = tmp_path / "disk"
        target.chmod(0o555)
        if os.access(target, os.W_OK):
            pytest.skip("cannot make a read-only folder here")
    try:
        result = run("autoencoder_mnist.py", 2, "--epochs", 1, *quick(small_data),
                     "--logdir", target / "run", cwd=tmp_path, check=False)
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert last_line(result).startswith(f"error: could not write into {target / 'run'}: ")
        run("denoising_autoencoder_mnist.py", 2, "--epochs", 1, *quick(small_data), cwd=tmp_path)
        figure = run("dn_ae_test.py", "dn_mnist_autoencoder_hidden=2_logs", "--save",
                     target / "x.png", cwd=tmp_path, check=False)
        assert figure.returncode == 1 and "denoising autoencoder, epoch 1" in figure.stdout
        assert last_line(figure).startswith(f"error: could not write the figure {target / 'x.png'} (")
        folder = run("ae_vs_pca.py", "dn_mnist_autoencoder_hidden=2_logs", "--save-dir", target,
                     cwd=tmp_path, check=False)
        assert folder.returncode == 1 and "Traceback" not in folder.stderr
        assert last_line(folder).startswith("error: could not write the figure ")
    finally:
        subprocess.run(["umount", str(target)], capture_output=True)
        target.chmod(0o755)


@pytest.mark.parametrize("name, status", [("SIGTERM", 143), ("SIGHUP", 129)])
def test_sigterm_and_sighup_stop_like_ctrl_c(small_data, tmp_path, name, status):
    if not hasattr(signal, name):
        pytest.skip(f"no {name} here")
    proc = start(small_data, tmp_path)
    time.sleep(0.5)
    proc.send_signal(getattr(signal, name))
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == status, err
    assert "Traceback" not in err
    assert f"Stopped by {name}: epoch 2 was cut short" in err
    assert (tmp_path / LOGDIR / "loss_curve.png").is_file()
    assert epochs_kept(str(tmp_path / LOGDIR)) == [1]


def test_ctrl_c_during_start_up_ends_without_a_traceback(small_data, tmp_path):
    proc = subprocess.Popen([sys.executable, os.path.join(REPO, "autoencoder_mnist.py"), "2",
                             *map(str, quick(small_data))], cwd=tmp_path, env=script_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)  # TensorFlow is loading
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert proc.returncode in (130, -signal.SIGINT)


def test_a_checkpoint_saved_without_its_record_row_gets_it_back(small_data, tmp_path):
    run("autoencoder_mnist.py", 2, "--epochs", 2, *quick(small_data), cwd=tmp_path)
    record = tmp_path / LOGDIR / "record.csv"
    lines = record.read_text().splitlines(keepends=True)
    record.write_text("".join(lines[:-1]))  # as if killed between the save and the record
    result = run("autoencoder_mnist.py", 2, "--epochs", 3, *quick(small_data), cwd=tmp_path)
    assert ("record.csv had no row for epoch 2 (the run stopped between saving "
            "model-checkpoint-0002-10 and recording it); its row is back, without its costs") in result.stderr
    rows = read_record(str(tmp_path / LOGDIR))
    assert [(r["epoch"], r["global_step"], r["train_cost"]) for r in rows][:2] == [
        ("1", "5", rows[0]["train_cost"]), ("2", "10", "")]
    assert rows[2]["epoch"] == "3" and float(rows[2]["val_loss"]) > 0


@pytest.mark.parametrize("damage", ["truncated", "empty"])
def test_a_damaged_newest_checkpoint_is_set_aside_on_resume_and_named_on_reload(
        small_data, tmp_path, damage):
    run("autoencoder_mnist.py", 2, "--epochs", 2, *quick(small_data), cwd=tmp_path)
    data = tmp_path / LOGDIR / "model-checkpoint-0002-10.data-00000-of-00001"
    with open(data, "r+b") as f:
        f.truncate(data.stat().st_size // 3 if damage == "truncated" else 0)
    prefix = os.path.join(LOGDIR, "model-checkpoint-0002-10")
    reload_error = run("ae_vs_pca.py", prefix, "--no-show", cwd=tmp_path, check=False)
    assert reload_error.returncode == 1 and "Traceback" not in reload_error.stderr
    assert last_line(reload_error) == (
        f"error: {prefix} is damaged: its files are cut short or broken (OutOfRangeError); whole "
        f"checkpoints beside it: {os.path.join(LOGDIR, 'model-checkpoint-0001-5')}")

    again = run("autoencoder_mnist.py", 2, "--epochs", 3, *quick(small_data), cwd=tmp_path)
    assert f"{prefix} is damaged (its files are cut short or broken: OutOfRangeError); set aside" in again.stderr
    assert "Resuming from " + os.path.join(LOGDIR, "model-checkpoint-0001-5") in again.stdout
    assert [r["epoch"] for r in read_record(str(tmp_path / LOGDIR))] == ["1", "2", "3"]
    assert (tmp_path / LOGDIR / "model-checkpoint-0002-10.index.damaged").is_file()
    assert epochs_kept(str(tmp_path / LOGDIR)) == [1, 2, 3]


def test_tensorboard_drops_what_a_stopped_run_wrote_after_the_step_resumed_from(small_data, tmp_path):
    run("autoencoder_mnist.py", 2, "--epochs", 1, *quick(small_data), cwd=tmp_path)
    run("autoencoder_mnist.py", 2, "--epochs", 2, *quick(small_data), cwd=tmp_path)
    starts = []
    for name in os.listdir(tmp_path / LOGDIR / "train"):
        for event in tf.train.summary_iterator(str(tmp_path / LOGDIR / "train" / name)):
            if event.HasField("session_log") and event.session_log.status == tf.SessionLog.START:
                starts.append(event.step)
    assert starts == [6]  # resumed from step 5: TensorBoard purges its steps >= 6


@pytest.mark.parametrize("script, args", [("autoencoder_mnist.py", [2]), ("basic_autoencoder.py", []),
                                          ("dn_ae_test.py", ["somewhere"]),
                                          ("stacked_autoencoder_classifier.py", [])])
@pytest.mark.parametrize("seed", ["-1", "1099511627776", "x"])
def test_seeds_numpy_cannot_take_are_usage_errors(script, args, seed, tmp_path):
    result = run(script, *args, "--seed", seed, cwd=tmp_path, check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"--seed: must be a whole number from 0 to 4294967295, not '{seed}'" in result.stderr
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("size, message", [
    (0, "--validation-size 0 leaves no images to validate on; use at least 1"),
    (5500, "--validation-size 5500 takes every training image, leaving none to train on; use at most 5400"),
    (6000, "the validation set of 6000 images does not fit in the 5500 training images"),
    (-5, "argument --validation-size: must be a whole number of at least 0, not '-5'"),
])
def test_validation_sizes_that_leave_nothing(small_data, tmp_path, size, message):
    result = run("autoencoder_mnist.py", 2, "--data-dir", small_data, "--validation-size", size,
                 cwd=tmp_path, check=False)
    assert result.returncode in (1, 2) and message in last_line(result)
    assert "Traceback" not in result.stderr and os.listdir(tmp_path) == ["data"]


@pytest.mark.parametrize("value", ['"2"', "2.0", "true"])
def test_config_values_of_the_wrong_type(small_data, tmp_path, value):
    run("autoencoder_mnist.py", 2, "--epochs", 1, *quick(small_data), cwd=tmp_path)
    config = tmp_path / LOGDIR / "model_config.json"
    config.write_text(config.read_text().replace('"n_code": 2', f'"n_code": {value}'))
    for result in (run("ae_vs_pca.py", LOGDIR, "--no-show", cwd=tmp_path, check=False),
                   run("autoencoder_mnist.py", 2, "--epochs", 2, *quick(small_data),
                       cwd=tmp_path, check=False)):
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert "is not a model config of this lab" in last_line(result)


def test_a_code_too_big_for_memory_is_refused_up_front(small_data, tmp_path):
    result = run("autoencoder_mnist.py", 100_000_000, *quick(small_data), cwd=tmp_path, check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "GB of memory to train" in last_line(result) and "choose a smaller N_CODE" in last_line(result)
    assert os.listdir(tmp_path) == ["data"]


def test_validation_and_test_are_evaluated_in_batches(small_data, tmp_path, monkeypatch):
    seen = []
    real_run = tf.Session.run

    def counting_run(self, fetches, feed_dict=None, **kwargs):
        for value in (feed_dict or {}).values():
            if getattr(value, "ndim", 0) == 2:
                seen.append(len(value))
        return real_run(self, fetches, feed_dict, **kwargs)

    monkeypatch.setattr(tf.Session, "run", counting_run)
    monkeypatch.setattr(runs.Run, "EVAL_BATCH", 200)
    monkeypatch.chdir(tmp_path)
    assert autoencoder_mnist.main(["2", "--epochs", "1", "--no-show", *map(str, quick(small_data))]) == 0
    assert max(seen) == 200  # validation (500) and test (500) never fed at once


def test_damaged_data_advice_names_the_right_dataset(small_data, tmp_path):
    (tmp_path / "data" / "t10k-labels-idx1-ubyte.gz").write_bytes(b"not gzip")
    result = run("autoencoder_mnist.py", 2, "--data-dir", small_data, "--dataset", "fashion",
                 cwd=tmp_path, check=False)
    assert last_line(result).endswith("is not a gzip file (Not a gzipped file (b'no')); put a good "
                                      "copy there, or run with --dataset fashion and no --data-dir "
                                      "to download Fashion-MNIST into ./fashion-mnist/data/")


def test_which_checkpoints_each_reload_script_takes(small_data, tmp_path):
    run("denoising_autoencoder_mnist.py", 2, "--epochs", 1, *quick(small_data), cwd=tmp_path)
    taken = run("ae_vs_pca.py", "dn_mnist_autoencoder_hidden=2_logs", "--no-show", cwd=tmp_path)
    assert "denoising autoencoder, epoch 1" in taken.stdout  # any autoencoder of the kit
    (tmp_path / "empty").mkdir()
    nothing = run("dn_ae_test.py", tmp_path / "empty" / "run", cwd=tmp_path, check=False)
    assert last_line(nothing).endswith("train one first with denoising_autoencoder_mnist.py")
    with open(tmp_path / "dn_mnist_autoencoder_hidden=2_logs" / "record.csv", newline="") as f:
        assert [row["epoch"] for row in csv.DictReader(f)] == ["1"]
