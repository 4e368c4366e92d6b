"""The training scripts, run as a user runs them, with no display: what they print and write."""

import glob
import json
import os
import re
import signal
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import autoencoder_mnist
from aelab import steps
from running import (
    EXTRACTING,
    INTERRUPT,
    NUMBER,
    POSIX_ONLY,
    REPO,
    epochs_kept,
    quick,
    read_record,
    run_main,
    script_env,
    signal_at_step,
)


def event_tags(folder):
    """The summary tags in a TensorBoard event folder, and whether a graph was written."""
    import tensorflow.compat.v1 as tf
    tags, graph = set(), False
    for path in glob.glob(os.path.join(folder, "events.out.tfevents.*")):
        for event in tf.train.summary_iterator(path):
            graph = graph or bool(event.graph_def)
            tags.update(value.tag for value in event.summary.value)
    return tags, graph


def summary_steps(folder, tag):
    """The steps at which a TensorBoard event folder holds a value of tag, in order."""
    import tensorflow.compat.v1 as tf
    return sorted(event.step for path in glob.glob(os.path.join(folder, "events.out.tfevents.*"))
                  for event in tf.train.summary_iterator(path)
                  if any(value.tag == tag for value in event.summary.value))


def test_deep_autoencoder_prints_the_slides_lines_and_writes_its_outputs(small_data, tmp_path):
    result = run_main("autoencoder_mnist.py", 2, "--epochs", 2, *quick(small_data), cwd=tmp_path)
    assert re.fullmatch(
        rf"{EXTRACTING}Epoch: 0001 cost = \d+\.\d{{9}}\nValidation Loss: {NUMBER}\n"
        rf"Epoch: 0002 cost = \d+\.\d{{9}}\nValidation Loss: {NUMBER}\n"
        rf"Optimization Finished!\nTest Loss: {NUMBER}\n"
        r"Figure saved: mnist_autoencoder_hidden=2_logs/loss_curve.png\n", result.stdout), result.stdout
    assert "\r" not in result.stderr  # no progress bar when stderr is not a terminal
    logdir = tmp_path / "mnist_autoencoder_hidden=2_logs"
    assert epochs_kept(logdir) == [1, 2]
    for suffix in (".index", ".meta", ".data-00000-of-00001"):
        assert (logdir / f"model-checkpoint-0002-10{suffix}").is_file()
    config = json.loads((logdir / "model_config.json").read_text())
    assert config["model"] == "autoencoder" and config["n_code"] == 2
    assert config["learning_rate"] == 0.001 and config["batch_size"] == 100
    assert config["dataset"] == "mnist" and config["data_dir"] == small_data

    record = read_record(str(logdir))
    assert [(r["epoch"], r["global_step"]) for r in record] == [("1", "5"), ("2", "10")]
    val_losses = re.findall(rf"Validation Loss: ({NUMBER})", result.stdout)
    assert [float(r["val_loss"]) for r in record] == pytest.approx([float(v) for v in val_losses])
    assert all(0 < float(r["train_seconds"]) <= float(r["seconds"]) for r in record)

    train_tags, train_graph = event_tags(str(logdir / "train"))
    val_tags, val_graph = event_tags(str(logdir / "validation"))
    assert train_graph and not val_graph
    assert {t.split("/")[-1] for t in train_tags} == {"train_cost"}
    assert summary_steps(str(logdir / "train"), "training/train_cost") == list(range(1, 11))
    assert {t.split("/")[-1].split("/")[0] for t in val_tags} >= {"val_cost"}
    assert any("input_image" in t for t in val_tags) and any("output_image" in t for t in val_tags)

    with Image.open(logdir / "loss_curve.png") as image:
        assert image.size[0] > 400 and image.size[1] > 250


@pytest.mark.parametrize("epochs", [1, 2, 3, 7])
def test_the_loss_curve_ticks_whole_epochs(epochs):
    """A 1-epoch run's curve has the tick 1, not 0.96, 0.98, ..."""
    from aelab import figures
    fig = figures.loss_curve(list(range(1, epochs + 1)), [2.0] * epochs, [1.0] * epochs, "curve")
    fig.canvas.draw()
    low, high = fig.axes[0].get_xlim()
    ticks = [t for t in fig.axes[0].get_xticks() if low <= t <= high]
    figures.plt.close(fig)
    assert 1 in ticks and all(t == int(t) for t in ticks), ticks


def test_rerun_resumes_and_continues_epochs_steps_and_record(trained, tmp_path):
    trained.copy(trained.DEEP, tmp_path)  # 3 epochs of 5 steps
    again = run_main("autoencoder_mnist.py", 2, "--epochs", 5, *quick(trained.data), cwd=tmp_path)
    logdir = str(tmp_path / trained.DEEP)
    assert "Resuming from " + os.path.join(trained.DEEP, "model-checkpoint-0003-15") in again.stdout
    assert "resuming at" not in again.stderr  # the settings it was trained with: nothing to say
    assert re.findall(r"Epoch: (\d{4})", again.stdout) == ["0004", "0005"]
    assert [(r["epoch"], r["global_step"]) for r in read_record(logdir)] == [
        ("1", "5"), ("2", "10"), ("3", "15"), ("4", "20"), ("5", "25")]
    # Asking for no more epochs than done trains nothing but still reports the test loss.
    done = run_main("autoencoder_mnist.py", 2, "--epochs", 5, *quick(trained.data), cwd=tmp_path)
    assert "Epoch:" not in done.stdout and "Test Loss:" in done.stdout
    assert "nothing to train" in done.stderr


def test_a_resume_says_what_it_changes_and_records_each_epochs_settings(trained, tmp_path):
    """Trained at 0.001 with --data-dir; resumed at 0.01 with no data option: its own data."""
    logdir = trained.copy(trained.DEEP, tmp_path)  # 3 epochs of 5 steps
    again = run_main("autoencoder_mnist.py", 2, "--epochs", 5, "--learning-rate", 0.01,
                     "--steps-per-epoch", 5, "--no-show", cwd=tmp_path)
    assert f"Extracting {os.path.join(trained.data, 'train-images-idx3-ubyte.gz')}" in again.stdout
    assert again.stderr.splitlines()[0] == (
        "resuming at learning rate 0.01; epochs 1-3 were trained at 0.001 (--restart starts over)")
    rows = read_record(logdir)
    assert [r["learning_rate"] for r in rows] == ["0.001"] * 3 + ["0.01"] * 2
    assert {r["data"] for r in rows} == {trained.data} and {r["batch_size"] for r in rows} == {"100"}
    config = json.loads(open(os.path.join(logdir, "model_config.json")).read())
    assert config["learning_rate"] == 0.01
    assert config["trained_with"]["learning_rate"] == [[1, 3, "0.001"], [4, 5, "0.01"]]
    # A reload takes each checkpoint as its epoch was trained.
    from aelab import reload
    assert reload.load(os.path.join(logdir, "model-checkpoint-0002-10")).config["learning_rate"] == 0.001
    assert reload.load(logdir).config["learning_rate"] == 0.01
    # The settings of its last epochs again: nothing to say (and nothing to train).
    quiet = run_main("autoencoder_mnist.py", 2, "--epochs", 5, "--learning-rate", 0.01,
                     "--steps-per-epoch", 5, "--no-show", cwd=tmp_path)
    assert "resuming at" not in quiet.stderr


def test_restart_moves_the_earlier_run_aside(trained, tmp_path):
    trained.copy(trained.DEEP, tmp_path)
    result = run_main("autoencoder_mnist.py", 2, "--epochs", 1, "--restart", *quick(trained.data),
                      cwd=tmp_path)
    assert "Resuming" not in result.stdout
    aside = glob.glob(str(tmp_path / f"{trained.DEEP}.*"))
    assert len(aside) == 1
    assert f"Moved the earlier run to {trained.DEEP}." in result.stdout
    assert epochs_kept(aside[0]) == [1, 2, 3]
    assert epochs_kept(tmp_path / trained.DEEP) == [1]


@pytest.mark.slow
def test_retention_keeps_latest_and_milestones(small_data, tmp_path, monkeypatch):
    monkeypatch.setattr(autoencoder_mnist, "encoder_hidden", (64, 32, 16))  # small checkpoints
    monkeypatch.setattr(autoencoder_mnist, "decoder_hidden", (16, 32, 64))
    run_main("autoencoder_mnist.py", 2, "--epochs", 12, *quick(small_data)[:-4],
             "--steps-per-epoch", 1, cwd=tmp_path)
    logdir = str(tmp_path / "mnist_autoencoder_hidden=2_logs")
    assert epochs_kept(logdir) == [1, 2, 5, 10, 11, 12]
    assert not glob.glob(os.path.join(logdir, "model-checkpoint-0003-*"))
    state = open(os.path.join(logdir, "checkpoint")).read()
    assert 'model_checkpoint_path: "model-checkpoint-0012-12"' in state
    assert state.count("all_model_checkpoint_paths") == 6
    assert len(read_record(logdir)) == 12


@pytest.mark.slow
def test_ctrl_c_mid_epoch_stops_cleanly_and_keeps_the_last_epoch(small_data, tmp_path):
    # Batches of 10: an epoch of 100 steps, long enough to interrupt inside the second.
    args = ["2", "--epochs", "50", "--batch-size", "10", "--steps-per-epoch", "100",
            "--data-dir", small_data, "--validation-size", "500", "--seed", "1"]
    proc = subprocess.Popen([sys.executable, os.path.join(REPO, "autoencoder_mnist.py"), *args],
                            cwd=tmp_path, env=script_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, encoding="utf-8", **INTERRUPT["popen"])
    logdir = tmp_path / "mnist_autoencoder_hidden=2_logs"
    wait_for_rows(logdir, 1, proc)  # epoch 1 saved and recorded: epoch 2 is under way
    proc.send_signal(INTERRUPT["signal"])
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == INTERRUPT["status"], err
    assert "Traceback" not in err
    assert re.search(rf"Stopped by {INTERRUPT['name']} in epoch (2, at step \d+ of 100|1); "
                     r"last checkpoint: "
                     + re.escape(os.path.join("mnist_autoencoder_hidden=2_logs",
                                              "model-checkpoint-0001-100")) +
                     r"\. Run the same command to resume\.", err), err
    assert epochs_kept(logdir) == [1]
    assert (logdir / "loss_curve.png").is_file()
    assert len(read_record(str(logdir))) == 1  # resuming from here: the in-process tests


@pytest.mark.parametrize("bad", ["0", "-3", "two", "2.5"])
def test_bad_n_code_is_a_usage_error(bad, capsys):
    with pytest.raises(SystemExit) as info:
        autoencoder_mnist.parse_args([bad])
    assert info.value.code == 2
    assert f"argument N_CODE: must be a positive integer, not '{bad}'" in capsys.readouterr().err


def test_missing_n_code_is_a_usage_error_with_status_2(tmp_path):
    result = run_main("denoising_autoencoder_mnist.py", cwd=tmp_path, check=False)
    assert result.returncode == 2
    assert "the following arguments are required: N_CODE" in result.stderr
    assert "Traceback" not in result.stderr and os.listdir(tmp_path) == []


def test_denoising_script_uses_its_own_folder_and_says_its_losses_are_on_corrupted_input(
        trained, tmp_path):
    assert re.fullmatch(
        rf"{EXTRACTING}Epoch: 0001 cost = \d+\.\d{{9}}\n"
        rf"Validation Loss: {NUMBER} \(input corrupted, as in training\)\n"
        rf"Optimization Finished!\nTest Loss: {NUMBER} \(input corrupted, as in training\)\n"
        r"Figure saved: dn_mnist_autoencoder_hidden=2_logs/loss_curve.png\n",
        trained.outputs["denoising"].stdout), trained.outputs["denoising"].stdout
    logdir = trained.denoising()
    with open(os.path.join(logdir, "model_config.json")) as f:
        assert json.load(f)["model"] == "denoising_autoencoder"
    assert epochs_kept(logdir) == [1]
    assert os.path.isfile(os.path.join(logdir, "loss_curve.png"))

    # A folder of the other model is not resumed as if it were this one.
    wrong = run_main("autoencoder_mnist.py", 2, "--logdir", logdir, *quick(trained.data),
                     cwd=tmp_path, check=False)
    assert wrong.returncode == 1
    assert ("holds a run of denoising_autoencoder_mnist.py with N_CODE 2, not of "
            "autoencoder_mnist.py with N_CODE 2") in wrong.stderr
    assert "Traceback" not in wrong.stderr and epochs_kept(logdir) == [1]


def test_a_diverging_cost_stops_the_run_with_a_message(small_data, tmp_path):
    result = run_main("autoencoder_mnist.py", 2, "--epochs", 2, "--learning-rate", "1e30",
                      *quick(small_data), cwd=tmp_path, check=False)
    assert result.returncode == 1
    assert re.search(r"error: the cost became nan in epoch 1(, at step \d of 5)?; last "
                     r"checkpoint: none: no epoch finished\. Try a lower --learning-rate, or "
                     r"--restart\.", result.stderr), result.stderr
    assert "Epoch:" not in result.stdout


def test_basic_autoencoder_prints_its_lines_and_saves_its_figure_without_a_display(
        small_data, tmp_path):
    result = run_main("basic_autoencoder.py", "--epochs", 2, *quick(small_data), cwd=tmp_path)
    assert re.fullmatch(EXTRACTING + r"Epoch: 0001 Avg. cost = \d\.\d{4}\nEpoch: 0002 Avg. cost = "
                        r"\d\.\d{4}\n최적화 완료!\nFigure saved: basic_autoencoder.png\n",
                        result.stdout), result.stdout
    with Image.open(tmp_path / "basic_autoencoder.png") as image:
        width, height = image.size
    assert width > 3 * height  # two rows of ten images

    saved = run_main("basic_autoencoder.py", "--epochs", 1, "--save", "out/fig.png",
                     *quick(small_data), cwd=tmp_path)
    assert "Figure saved: out/fig.png" in saved.stdout
    assert (tmp_path / "out" / "fig.png").is_file()


@pytest.mark.slow
def test_deep_autoencoder_learns_on_real_fashion_mnist(fashion_dir, tmp_path):
    result = run_main("autoencoder_mnist.py", 2, "--epochs", 2, "--steps-per-epoch", 150,
                      "--learning-rate", 0.002, "--validation-size", 2000, "--data-dir",
                      fashion_dir, "--seed", 0, "--no-show", cwd=tmp_path)
    val = [float(v) for v in re.findall(rf"Validation Loss: ({NUMBER})", result.stdout)]
    assert len(val) == 2
    assert val[-1] < 0.9 * val[0], val
    test_loss = float(re.search(rf"Test Loss: ({NUMBER})", result.stdout).group(1))
    assert test_loss == pytest.approx(val[-1], rel=0.1)


@POSIX_ONLY
def test_progress_bar_on_a_terminal(small_data, tmp_path, monkeypatch):
    """The line is drawn on a terminal (here a pseudo-terminal), and rubbed out with spaces."""
    import fcntl
    import pty
    import struct
    import termios
    import threading
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # 120 columns
    monkeypatch.setattr(steps.Progress, "MININTERVAL", 0)  # every step drawn
    seen = []
    reader = threading.Thread(target=lambda: seen.extend(iter(lambda: _read(master), b"")))
    reader.start()
    terminal = open(slave, "w", buffering=1, closefd=True)
    try:
        result = run_main("autoencoder_mnist.py", 2, "--epochs", 1, *quick(small_data),
                          cwd=tmp_path, stderr=terminal)
    finally:
        terminal.close()
        reader.join(timeout=10)
        os.close(master)
    shown = b"".join(seen).decode(errors="replace")
    assert "\rEpoch 0001/1 " in shown, shown  # the epoch out of the run's
    assert re.search(r"\| 5/5 \[\d\d:\d\d<00:00\], cost \d+\.\d{4}; the run: under a minute left", shown)
    assert "\033" not in shown  # no escape codes, which the classic Windows console prints
    assert re.search(r"\r {40,}\r", shown)  # the line is rubbed out before the slides' lines
    assert "|" not in result.stdout and "Epoch: 0001 cost = " in result.stdout


def wait_for_rows(logdir, rows, proc):
    """Waits until record.csv in logdir holds `rows` epochs (or the process has ended)."""
    import time
    path = os.path.join(logdir, "record.csv")
    while proc.poll() is None:
        if os.path.isfile(path) and len(read_record(logdir)) >= rows:
            return
        time.sleep(0.02)
    raise AssertionError(f"the run ended before epoch {rows}: {proc.stderr.read()[-2000:]}")


def _read(fd):
    try:
        return os.read(fd, 4096)
    except OSError:  # the terminal's other end has closed
        return b""


def test_layerwise_training_runs_each_stage_then_the_whole_network(small_data, tmp_path):
    import tensorflow.compat.v1 as tf

    from aelab import checkpoints
    result = run_main("denoising_autoencoder_mnist.py", 2, "--pretrain", "layerwise",
                      "--pretrain-epochs", 1, "--epochs", 5, *quick(small_data)[:-4],
                      "--steps-per-epoch", 2, cwd=tmp_path)
    stages = re.findall(r"Layer-wise stage (\d) of 4, epoch (\d): (\S+) \((\d+)-(\d+)\) with ([^;]+);",
                        result.stdout)
    assert stages == [("1", "1", "encoder/hidden_1", "784", "1000", "decoder/output"),
                      ("2", "2", "encoder/hidden_2", "1000", "500", "decoder/hidden_3"),
                      ("3", "3", "encoder/hidden_3", "500", "250", "decoder/hidden_2"),
                      ("4", "4", "encoder/code", "250", "2", "decoder/hidden_1")]
    assert re.findall(r"^Layer-wise epoch (\d{4}) \(layer (\d) of 4\): cost = \d+\.\d{9}, "
                      rf"validation loss = {NUMBER} \(input corrupted, as in training\)$",
                      result.stdout, re.M) == [("0001", "1"), ("0002", "2"), ("0003", "3"),
                                               ("0004", "4")]
    assert "Whole network from epoch 5" in result.stdout
    assert re.findall(r"^Epoch: (\d{4}) cost = ", result.stdout, re.M) == ["0005"]
    logdir = tmp_path / "dn_mnist_autoencoder_hidden=2_logs"
    assert [r["stage"] for r in read_record(str(logdir))] == [
        "layer 1", "layer 2", "layer 3", "layer 4", "whole network"]
    assert epochs_kept(logdir) == [1, 2, 3, 4, 5]
    train_tags, _ = event_tags(str(logdir / "train"))
    assert {"layerwise_1/train_cost", "layerwise_4/train_cost", "training/train_cost"} <= train_tags
    assert summary_steps(str(logdir / "train"), "layerwise_2/train_cost") == [3, 4]  # every step

    def weights(epoch, name):
        prefix = [p for p in checkpoints.list_checkpoints(str(logdir))
                  if checkpoints.parse(p)[0] == epoch][0]
        return tf.train.load_variable(prefix, name)

    # Stage 2 trains encoder/hidden_2 and decoder/hidden_3 only; stage 1's layer stays as it was.
    for name, moved in (("encoder/hidden_1/W", False), ("decoder/output/W", False),
                        ("encoder/hidden_2/W", True), ("decoder/hidden_3/W", True),
                        ("encoder/code/W", False)):
        assert (not np.array_equal(weights(1, name), weights(2, name))) == moved, name
    # The whole network starts from the stages' weights and then trains every layer.
    assert not np.array_equal(weights(4, "encoder/hidden_1/W"), weights(5, "encoder/hidden_1/W"))
    np.testing.assert_allclose(weights(4, "encoder/hidden_1/W"), weights(5, "encoder/hidden_1/W"),
                               atol=0.01)

    again = run_main("denoising_autoencoder_mnist.py", 2, "--epochs", 6, *quick(small_data),
                     cwd=tmp_path, check=False)
    assert again.returncode == 1
    assert "was trained with --pretrain layerwise --pretrain-epochs 1" in again.stderr


@POSIX_ONLY
@pytest.mark.slow
def test_a_layerwise_run_stopped_mid_stage_resumes_in_that_stage(small_data, tmp_path,
                                                                 monkeypatch):
    monkeypatch.setattr(autoencoder_mnist, "encoder_hidden", (64, 32, 16))  # small checkpoints
    monkeypatch.setattr(autoencoder_mnist, "decoder_hidden", (16, 32, 64))
    options = [2, "--pretrain", "layerwise", "--pretrain-epochs", 2, "--epochs", 9,
               *quick(small_data)[:-4], "--steps-per-epoch", 1]
    with monkeypatch.context() as patch:
        signal_at_step(patch, signal.SIGINT, 4)  # epoch 4, the second of stage 2
        stopped = run_main("autoencoder_mnist.py", *options, cwd=tmp_path, check=False)
    assert stopped.returncode == 130
    again = run_main("autoencoder_mnist.py", *options, cwd=tmp_path)
    assert "Resuming from" in again.stdout and "(epoch 3, step 3)" in again.stdout
    assert re.search(r"^Resuming from .*\n(?:Extracting .*\n)*Layer-wise stage 2 of 4, epochs 3-4: ",
                     again.stdout, re.M), again.stdout
    assert re.findall(r"^Layer-wise epoch (\d{4})", again.stdout, re.M) == [
        f"{e:04d}" for e in range(4, 9)]
    assert re.findall(r"^Epoch: (\d{4})", again.stdout, re.M) == ["0009"]
    stages = [r["stage"] for r in read_record(str(tmp_path / "mnist_autoencoder_hidden=2_logs"))]
    assert stages == [f"layer {n}" for n in (1, 1, 2, 2, 3, 3, 4, 4)] + ["whole network"]


def test_layerwise_needs_epochs_left_for_the_whole_network(capsys):
    with pytest.raises(SystemExit) as info:
        autoencoder_mnist.parse_args(["2", "--pretrain", "layerwise", "--epochs", "20"])
    assert info.value.code == 2
    assert "--epochs 20 leaves no epoch for the whole network" in capsys.readouterr().err
