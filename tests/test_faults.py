"""Runs that survive what happens to them: a second run, a full or read-only disk, signals,
damaged files, odd values. Each ends with one line, loses nothing saved, and resumes."""

import csv
import os
import re
import shutil
import signal
import subprocess
import sys

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from aelab import input_data, lock, runs
from running import (
    INTERRUPT,
    LINUX_ONLY,
    POSIX_ONLY,
    REPO,
    epochs_kept,
    last_line,
    quick,
    read_record,
    run_main,
    script_env,
    signal_at_step,
)
from shared import TrainedRuns

LOGDIR = "mnist_autoencoder_hidden=2_logs"
# A process that takes a run folder's lock and holds it until its input closes, as a run does
# until it ends (no TensorFlow here).
HOLD = ("import sys; sys.path.insert(0, sys.argv[1]); from aelab.lock import FolderLock; "
        "held = FolderLock(sys.argv[2]); held.acquire(); print('held', flush=True); "
        "sys.stdin.read(); held.release()")


def holder(folder):
    """A process holding folder's lock, as a training run there does; end it with .stdin.close()."""
    os.makedirs(folder, exist_ok=True)
    proc = subprocess.Popen([sys.executable, "-c", HOLD, REPO, str(folder)], text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdout.readline() == "held\n"
    return proc


def test_a_second_run_into_a_held_folder_stops_at_once(small_data, tmp_path):
    first = holder(tmp_path / LOGDIR)
    try:
        second = run_main("autoencoder_mnist.py", 2, "--epochs", 1, *quick(small_data),
                          cwd=tmp_path, check=False)
    finally:
        first.stdin.close()
        first.wait(timeout=30)
    assert second.returncode == 1 and "Traceback" not in second.stderr
    assert last_line(second).startswith(f"error: {LOGDIR} is in use by another run (process "
                                        f"{first.pid}, started ")
    assert not os.path.exists(tmp_path / LOGDIR / "record.csv")  # nothing of the first touched
    again = run_main("autoencoder_mnist.py", 2, "--epochs", 1, *quick(small_data), cwd=tmp_path)
    assert "Taking over" not in again.stderr  # the first gave its lock back as it ended
    assert not (tmp_path / LOGDIR / lock.HOLDER_FILE).exists()


@pytest.mark.slow
def test_a_run_that_was_killed_leaves_no_lock_only_a_note(small_data, tmp_path):
    killed = holder(tmp_path / LOGDIR)
    killed.kill()
    killed.wait(timeout=30)
    result = run_main("autoencoder_mnist.py", 2, "--epochs", 1, *quick(small_data), cwd=tmp_path)
    assert (f"Taking over {LOGDIR} from a run that ended without finishing (process "
            f"{killed.pid}, started ") in result.stderr
    assert epochs_kept(tmp_path / LOGDIR) == [1]
    assert not (tmp_path / LOGDIR / lock.HOLDER_FILE).exists()


def test_lock_is_refused_while_held_and_free_after_release(tmp_path):
    held = lock.FolderLock(str(tmp_path))
    held.acquire()
    with pytest.raises(SystemExit, match=f"in use by another run \\(process {os.getpid()}"):
        lock.FolderLock(str(tmp_path)).acquire()
    held.release()
    assert not (tmp_path / lock.HOLDER_FILE).exists()
    again = lock.FolderLock(str(tmp_path))
    again.acquire()
    again.release()


@pytest.mark.slow
def test_a_failed_checkpoint_write_ends_with_one_line_and_the_run_resumes(small_data, tmp_path,
                                                                         monkeypatch):
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
    args = [2, "--epochs", 3, "--no-show", *quick(small_data)]
    full = run_main("autoencoder_mnist.py", *args, cwd=tmp_path, check=False)
    assert full.returncode == 1
    assert re.search(re.escape(f"error: could not write into {LOGDIR}: No space left on device "
                               f"(writing model-checkpoint-0002-10.data-00000-of-00001). Last "
                               f"whole checkpoint: "
                               f"{os.path.join(LOGDIR, 'model-checkpoint-0001-5')}; each checkpoint "
                               f"needs about ") + r"3\d MB\. Make room", full.stderr), full.stderr
    assert sorted(os.listdir(tmp_path / LOGDIR)) == sorted(
        ["checkpoint", "loss_curve.png", "model_config.json", "record.csv", lock.LOCK_FILE,
         "train", "validation"]
        + [f"model-checkpoint-0001-5.{e}" for e in ("index", "meta", "data-00000-of-00001")])
    monkeypatch.setattr(tf.train.Saver, "save", real_save)
    again = run_main("autoencoder_mnist.py", *args, cwd=tmp_path)
    assert "Resuming from" in again.stdout
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


@pytest.mark.slow
def test_a_real_full_disk(small_data, tmp_path, small_disk):
    logdir = small_disk / "run"
    full = run_main("autoencoder_mnist.py", 2, "--epochs", 3, *quick(small_data), "--logdir",
                    logdir, cwd=tmp_path, check=False)
    assert full.returncode == 1 and "Traceback" not in full.stderr
    assert "No space left on device" in last_line(full)
    assert re.search(r"each checkpoint needs about 3\d MB", last_line(full))
    assert epochs_kept(logdir) == [1]
    assert not [n for n in os.listdir(logdir) if "tempstate" in n or n.startswith("model-checkpoint-0002")]
    subprocess.run(["mount", "-o", "remount,size=120m", str(small_disk)], check=True)
    again = run_main("autoencoder_mnist.py", 2, "--epochs", 3, *quick(small_data), "--logdir",
                     logdir, cwd=tmp_path)
    assert "(epoch 1, step 5)" in again.stdout and epochs_kept(logdir) == [1, 2, 3]


@pytest.mark.slow
def test_read_only_places(trained, small_data, tmp_path):
    target = _mount(tmp_path, "ro,size=1m")
    if target is None:  # not root: permissions are enough
        target = tmp_path / "disk"
        target.chmod(0o555)
        if os.access(target, os.W_OK):
            pytest.skip("cannot make a read-only folder here")
    try:
        result = run_main("autoencoder_mnist.py", 2, "--epochs", 1, *quick(small_data),
                          "--logdir", target / "run", cwd=tmp_path, check=False)
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert last_line(result).startswith(f"error: could not write into {target / 'run'}: ")
        figure = run_main("dn_ae_test.py", trained.denoising(), "--save-dir", target,
                          cwd=tmp_path, check=False)
        assert figure.returncode == 1 and "denoising autoencoder, epoch 1" in figure.stdout
        assert last_line(figure).startswith(
            f"error: could not write the figure {target / 'dn_ae_test_epoch0001.png'} (")
        folder = run_main("ae_vs_pca.py", trained.denoising(), "--save-dir", target,
                          cwd=tmp_path, check=False)
        assert folder.returncode == 1 and "Traceback" not in folder.stderr
        assert last_line(folder).startswith("error: could not write the figure ")
    finally:
        subprocess.run(["umount", str(target)], capture_output=True)
        target.chmod(0o755)


@POSIX_ONLY
@pytest.mark.parametrize("name, status", [("SIGTERM", 143),
                                          pytest.param("SIGHUP", 129, marks=pytest.mark.slow),
                                          pytest.param("SIGINT", 130, marks=pytest.mark.slow)])
def test_stop_signals_end_a_run_cleanly_after_the_step(small_data, tmp_path, monkeypatch,
                                                       name, status):
    before = signal.getsignal(getattr(signal, name))
    signal_at_step(monkeypatch, getattr(signal, name), 7)  # in epoch 2, of 5 steps each
    result = run_main("autoencoder_mnist.py", 2, "--epochs", 3, *quick(small_data), cwd=tmp_path,
                      check=False)
    how = "Ctrl-C" if name == "SIGINT" else name
    assert result.returncode == status, result.stderr
    assert f"Stopping at the end of this step ({how}; again to force)..." in result.stderr
    assert last_line(result) == (f"Stopped by {how} in epoch 2, at step 2 of 5; last checkpoint: "
                                 f"{os.path.join(LOGDIR, 'model-checkpoint-0001-5')}. Run the "
                                 f"same command to resume.")
    assert (tmp_path / LOGDIR / "loss_curve.png").is_file()
    assert epochs_kept(tmp_path / LOGDIR) == [1]
    assert signal.getsignal(getattr(signal, name)) == before  # the handler is given back


@LINUX_ONLY
@pytest.mark.slow
def test_ctrl_c_during_start_up_ends_without_a_traceback(small_data, tmp_path):
    """Ctrl-C while TensorFlow loads: the signal arrives once its library is in the process."""
    import time
    proc = subprocess.Popen([sys.executable, os.path.join(REPO, "autoencoder_mnist.py"), "2",
                             *map(str, quick(small_data))], cwd=tmp_path, env=script_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            **INTERRUPT["popen"])
    maps = f"/proc/{proc.pid}/maps"
    while proc.poll() is None and os.path.exists(maps):
        with open(maps) as f:
            if "libtensorflow" in f.read():
                break
        time.sleep(0.005)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert proc.returncode == 130 and err.strip().endswith("Interrupted."), err
    assert out == "" and os.listdir(tmp_path) == ["data"]


@pytest.mark.slow
def test_a_checkpoint_saved_without_its_record_row_gets_it_back(trained, tmp_path):
    trained.copy(TrainedRuns.DEEP, tmp_path)
    record = tmp_path / LOGDIR / "record.csv"
    lines = record.read_text().splitlines(keepends=True)
    record.write_text("".join(lines[:-1]))  # as if killed between the save and the record
    result = run_main("autoencoder_mnist.py", 2, "--epochs", 4, *quick(trained.data), cwd=tmp_path)
    assert ("record.csv had no row for epoch 3 (the run stopped between saving "
            "model-checkpoint-0003-15 and recording it); its row is back, without its costs") in result.stderr
    rows = read_record(str(tmp_path / LOGDIR))
    assert [(r["epoch"], r["global_step"], r["train_cost"]) for r in rows][:3] == [
        ("1", "5", rows[0]["train_cost"]), ("2", "10", rows[1]["train_cost"]), ("3", "15", "")]
    assert rows[3]["epoch"] == "4" and float(rows[3]["val_loss"]) > 0


@pytest.mark.slow
def test_damaged_checkpoints_are_set_aside_on_resume_and_named_on_reload(trained, tmp_path):
    trained.copy(TrainedRuns.DEEP, tmp_path)
    prefixes = {epoch: os.path.join(LOGDIR, f"model-checkpoint-000{epoch}-{5 * epoch}")
                for epoch in (1, 2, 3)}
    for epoch, damage in ((3, "truncated"), (2, "empty")):
        data = tmp_path / f"{prefixes[epoch]}.data-00000-of-00001"
        with open(data, "r+b") as f:
            f.truncate(data.stat().st_size // 3 if damage == "truncated" else 0)
        reload_error = run_main("ae_vs_pca.py", prefixes[epoch], "--no-show", cwd=tmp_path,
                                check=False)
        assert reload_error.returncode == 1 and "Traceback" not in reload_error.stderr
        whole = [prefixes[e] for e in (1, 2, 3) if e != epoch]  # as their files look
        assert last_line(reload_error) == (
            f"error: {prefixes[epoch]} is damaged: its files are cut short or broken "
            f"(OutOfRangeError); whole checkpoints beside it: {', '.join(whole)}"), damage

    again = run_main("autoencoder_mnist.py", 2, "--epochs", 4, *quick(trained.data), cwd=tmp_path)
    for epoch in (3, 2):  # the newest first, each set aside, down to a whole one
        assert (f"{prefixes[epoch]} is damaged (its files are cut short or broken: "
                f"OutOfRangeError); set aside") in again.stderr
        assert (tmp_path / f"{prefixes[epoch]}.index.damaged").is_file()
    assert "Resuming from " + prefixes[1] in again.stdout
    assert [r["epoch"] for r in read_record(str(tmp_path / LOGDIR))] == ["1", "2", "3", "4"]
    assert epochs_kept(tmp_path / LOGDIR) == [1, 2, 3, 4]


@pytest.mark.slow
def test_tensorboard_drops_what_a_stopped_run_wrote_after_the_step_resumed_from(trained, tmp_path):
    trained.copy(TrainedRuns.DEEP, tmp_path)
    run_main("autoencoder_mnist.py", 2, "--epochs", 4, *quick(trained.data), cwd=tmp_path)
    starts = []
    for name in os.listdir(tmp_path / LOGDIR / "train"):
        for event in tf.train.summary_iterator(str(tmp_path / LOGDIR / "train" / name)):
            if event.HasField("session_log") and event.session_log.status == tf.SessionLog.START:
                starts.append(event.step)
    assert starts == [16]  # resumed from step 15: TensorBoard purges its steps >= 16


@pytest.mark.parametrize("script, args", [("autoencoder_mnist.py", [2]), ("basic_autoencoder.py", []),
                                          ("dn_ae_test.py", ["somewhere"]),
                                          ("stacked_autoencoder_classifier.py", [])])
@pytest.mark.parametrize("seed", ["-1", "1099511627776", "x"])
def test_seeds_numpy_cannot_take_are_usage_errors(script, args, seed, tmp_path):
    result = run_main(script, *args, "--seed", seed, cwd=tmp_path, check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"--seed: must be a whole number from 0 to 4294967295, not '{seed}'" in result.stderr
    assert os.listdir(tmp_path) == []


def test_a_mistyped_data_dir_is_a_usage_error_naming_the_near_folder(tmp_path):
    (tmp_path / "fashion-mnist").mkdir()
    (tmp_path / "notes.txt").write_text("")
    result = run_main("autoencoder_mnist.py", 2, "--data-dir", "fashoin-mnist", cwd=tmp_path, check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].endswith(
        f"argument --data-dir: there is no folder fashoin-mnist (did you mean "
        f"{tmp_path / 'fashion-mnist'}?); check the path, or, to download the images into a new "
        f"folder, create it first")
    result = run_main("autoencoder_mnist.py", 2, "--data-dir", "notes.txt", cwd=tmp_path, check=False)
    assert result.stderr.splitlines()[-1].endswith(
        "argument --data-dir: notes.txt is a file, not a folder; name the folder that holds the "
        "four IDX files")
    assert sorted(os.listdir(tmp_path)) == ["fashion-mnist", "notes.txt"]  # nothing downloaded


@pytest.mark.parametrize("size, message", [
    (0, "--validation-size 0 leaves no images to validate on; use at least 1"),
    (5500, "--validation-size 5500 takes every training image, leaving none to train on; use at most 5400"),
    (6000, "the validation set of 6000 images does not fit in the 5500 training images"),
    (-5, "argument --validation-size: must be a whole number of at least 0, not '-5'"),
])
def test_validation_sizes_that_leave_nothing(small_data, tmp_path, size, message):
    result = run_main("autoencoder_mnist.py", 2, "--data-dir", small_data, "--validation-size",
                      size, cwd=tmp_path, check=False)
    assert result.returncode in (1, 2) and message in last_line(result)
    assert "Traceback" not in result.stderr and os.listdir(tmp_path) == ["data"]


@pytest.mark.slow
@pytest.mark.parametrize("value", ['"2"', "2.0", "true"])
def test_config_values_of_the_wrong_type(trained, tmp_path, value):
    logdir = trained.copy(TrainedRuns.DEEP, tmp_path)
    config = os.path.join(logdir, "model_config.json")
    with open(config) as f:
        text = f.read()
    with open(config, "w") as f:
        f.write(text.replace('"n_code": 2', f'"n_code": {value}'))
    for result in (run_main("ae_vs_pca.py", LOGDIR, "--no-show", cwd=tmp_path, check=False),
                   run_main("autoencoder_mnist.py", 2, "--epochs", 4, *quick(trained.data),
                            cwd=tmp_path, check=False)):
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert "is not a model config of this lab" in last_line(result)


def test_a_code_too_big_for_memory_is_refused_up_front(small_data, tmp_path):
    result = run_main("autoencoder_mnist.py", 100_000_000, *quick(small_data), cwd=tmp_path,
                      check=False)
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
    run_main("autoencoder_mnist.py", 2, "--epochs", 1, "--no-show", *quick(small_data), cwd=tmp_path)
    assert max(seen) == 200  # validation (500) and test (500) never fed at once


def test_damaged_data_advice_names_the_right_dataset(small_data, tmp_path):
    (tmp_path / "data" / "t10k-labels-idx1-ubyte.gz").write_bytes(b"not gzip")
    result = run_main("autoencoder_mnist.py", 2, "--data-dir", small_data, "--dataset", "fashion",
                      cwd=tmp_path, check=False)
    assert last_line(result).endswith(
        "is not a gzip file (Not a gzipped file (b'no')); copy a good one over it from "
        f"{os.path.normpath(input_data.SOURCES['fashion'].default_dirs[0])} (sudo apt-get install "
        "dataset-fashion-mnist), or run with --dataset fashion and no --data-dir to download "
        "Fashion-MNIST into ./fashion-mnist/data/")


def test_damaged_fashion_in_mnists_folder_is_not_sent_to_download_digits(tmp_path, monkeypatch):
    """A handout keeps Fashion-MNIST in ./mnist/data/: its labels say what it is."""
    from datasets import write_idx_files
    first = list(input_data.FIRST_LABELS["fashion"])
    images = np.zeros((20, 28, 28), np.uint8)
    write_idx_files(str(tmp_path / "mnist" / "data"),
                    {"train": (images, np.array(first * 2, np.uint8)),
                     "t10k": (images, np.array(first * 2, np.uint8))})
    (tmp_path / "mnist" / "data" / "t10k-images-idx3-ubyte.gz").write_bytes(b"not gzip")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(input_data.DataError) as info:
        input_data.read_data_sets("./mnist/data/", validation_size=5)  # MNIST's folder
    assert "copy a good one over it from" in info.value.message
    assert "download MNIST" not in info.value.message and "delete it" not in info.value.message


def test_which_checkpoints_each_reload_script_takes(trained, tmp_path):
    taken = run_main("ae_vs_pca.py", trained.denoising(), "--save-dir", tmp_path, cwd=tmp_path)
    assert "denoising autoencoder, epoch 1" in taken.stdout  # any autoencoder of the kit
    (tmp_path / "empty").mkdir()
    nothing = run_main("dn_ae_test.py", tmp_path / "empty" / "run", cwd=tmp_path, check=False)
    assert last_line(nothing).endswith(
        "train one first with denoising_autoencoder_mnist.py or conv_autoencoder_mnist.py")
    with open(trained.denoising("record.csv"), newline="") as f:
        assert [row["epoch"] for row in csv.DictReader(f)] == ["1"]
