"""stacked_autoencoder_classifier.py: three starts, one table, pretrained weights kept."""

import os
import re

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

import stacked_autoencoder_classifier as sac
from aelab import checkpoints
from running import POSIX_ONLY, run_main

SMALL = ["--hidden", "32,16", "--pretrain-epochs", 2, "--epochs", 2, "--steps-per-epoch", 3,
         "--validation-size", 500, "--train-size", 1000, "--no-show"]


def test_table_with_three_rows_checkpoints_and_figure(small_data, tmp_path):
    result = run_main("stacked_autoencoder_classifier.py", "--data-dir", small_data, *SMALL,
                 cwd=tmp_path)
    assert "Training on 1000 images, validation 500, test 500; fine-tuning 2 epochs" in result.stdout
    row = r"{}\s+784-32-16\s+{}\s+\d+\.\d\d%\s+\d+\.\ds"
    assert re.search(row.format("random", "none"), result.stdout), result.stdout
    assert re.search(row.format("SAA", r"stacked autoencoders, 2 x 2 epochs"), result.stdout)
    assert re.search(row.format("SdA", r"stacked denoising, 2 x 2 epochs, 10% masking"), result.stdout)
    logdir = tmp_path / "stacked_classifier_logs"
    assert (logdir / "validation_error.png").is_file()
    for name in ("random", "SAA", "SdA"):
        assert [checkpoints.parse(p) for p in checkpoints.list_checkpoints(str(logdir / name))]
    assert not list((logdir / "random").glob("pretrained-*"))
    # SAA: 2 layers x 2 epochs x 3 steps of pretraining come before the fine-tuning.
    assert (logdir / "SAA" / "pretrained-12.index").is_file()


@pytest.mark.slow
def test_fine_tuning_starts_from_the_pretrained_encoder(small_data, tmp_path, monkeypatch):
    seen = []
    real = sac.train_epoch

    def spy(sess, steps, train_op, *args):
        weights = [v for v in sess.graph.get_collection("variables")
                   if v.op.name == "encoder/hidden_1/W"][0]
        kind = "fine-tune" if train_op.name == "Adam_fine_tune" else "pretrain"
        seen.append((kind, "before", sess.run(weights)))
        avg_cost = real(sess, steps, train_op, *args)
        seen.append((kind, "after", sess.run(weights)))
        return avg_cost

    monkeypatch.setattr(sac, "train_epoch", spy)
    run_main("stacked_autoencoder_classifier.py", "--data-dir", small_data, *SMALL, cwd=tmp_path)
    # The rows in order: random (fine-tune only), then SAA, then SdA.
    kinds = [k for k, when, _ in seen if when == "before"]
    assert kinds == ["fine-tune"] * 2 + (["pretrain"] * 4 + ["fine-tune"] * 2) * 2
    random_start = seen[0][2]
    saa = seen[4:16]
    np.testing.assert_array_equal(saa[0][2], random_start)  # same seed, same start
    last_pretrain, first_fine_tune = saa[7][2], saa[8][2]
    assert (saa[7][:2], saa[8][:2]) == (("pretrain", "after"), ("fine-tune", "before"))
    np.testing.assert_array_equal(first_fine_tune, last_pretrain)
    assert np.abs(first_fine_tune - random_start).max() > 1e-3  # pretraining moved it


@pytest.mark.slow
def test_starting_from_a_deep_autoencoder_checkpoint(trained, tmp_path):
    result = run_main("stacked_autoencoder_classifier.py", "--data-dir", trained.data, *SMALL,
                      "--from", trained.deep(), cwd=tmp_path)
    start = trained.deep("model-checkpoint-0003-15")
    assert re.search(r"from deep autoencoder, epoch 3\s+784-1000-500-250-2\s+the encoder of "
                     + re.escape(start) + r"\s+\d+\.\d\d%", result.stdout), result.stdout
    fine_tuned = checkpoints.list_checkpoints(str(tmp_path / "stacked_classifier_logs" / "from_1"))
    before = tf.train.load_variable(start, "encoder/hidden_1/W")
    after = tf.train.load_variable(fine_tuned[-1], "encoder/hidden_1/W")
    assert np.abs(after - before).max() < 0.01  # 6 Adam steps from the autoencoder's weights


@pytest.mark.slow
def test_classifier_beats_chance_on_real_fashion_mnist(fashion_dir, tmp_path):
    result = run_main("stacked_autoencoder_classifier.py", "--data-dir", fashion_dir, "--hidden", "128",
                 "--pretrain-epochs", 1, "--epochs", 2, "--steps-per-epoch", 50,
                 "--train-size", 5000, "--no-show", cwd=tmp_path)
    errors = [float(e) for e in re.findall(r"(\d+\.\d\d)%\s+\d+\.\ds", result.stdout)]
    assert len(errors) == 3
    assert max(errors) < 40.0, result.stdout  # chance is 90%
    assert os.path.isfile(tmp_path / "stacked_classifier_logs" / "validation_error.png")


@POSIX_ONLY
def test_ctrl_c_keeps_the_finished_rows(small_data, tmp_path, monkeypatch):
    import os
    import signal
    real = sac.run_row

    def ctrl_c_in_row_saa(args, mnist, watch, name, *rest):
        if name == "SAA":  # a real Ctrl-C, during SAA's first step
            real_step = watch.step_done
            monkeypatch.setattr(watch, "step_done", lambda cost: (
                os.kill(os.getpid(), signal.SIGINT), real_step(cost)))
        return real(args, mnist, watch, name, *rest)

    monkeypatch.setattr(sac, "run_row", ctrl_c_in_row_saa)
    result = run_main("stacked_autoencoder_classifier.py", "--data-dir", small_data, "--hidden",
                      "32", "--pretrain-epochs", 2, "--epochs", 1, "--steps-per-epoch", 3,
                      "--validation-size", 500, "--train-size", 1000, "--no-show", cwd=tmp_path,
                      check=False)
    assert result.returncode == 130
    assert result.stderr.strip().endswith(
        "Stopped by Ctrl-C in row SAA; the rows above are complete.")
    assert "Traceback" not in result.stderr and "SdA" not in result.stdout
    assert result.stdout.splitlines()[-1].startswith("random ")
