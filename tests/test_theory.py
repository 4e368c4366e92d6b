"""The theory half made runnable: linear autoencoder = PCA, cross-entropy, corruption level, manifold."""

import glob
import json
import re

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

import linear_ae_vs_pca as lin
from aelab import checkpoints, model
from datasets import write_idx_dataset, write_low_rank_dataset
from running import EXTRACTING, NUMBER, Result, run_main
from shared import once_per_session

QUICK = ["--validation-size", 500, "--steps-per-epoch", 5, "--seed", 1]
CLAIM = re.compile(r"Linear autoencoder vs PCA, K=(\d+): smallest principal-angle cosine "
                   r"(\d\.\d{5}), MSE ratio (\d+\.\d{4})")


def test_principal_angles_overlap_and_mapping_on_known_subspaces():
    rng = np.random.RandomState(0)
    components = np.linalg.qr(rng.standard_normal((784, 3)))[0].T
    mixed = np.array([[2, 1, 0], [0, 1, 1], [1, 0, 3]]) @ components  # the same span, not orthogonal
    np.testing.assert_allclose(lin.principal_cosines(mixed, components), 1, atol=1e-9)
    np.testing.assert_allclose(lin.mapped_onto(mixed, components), components, atol=1e-9)
    assert lin.largest_overlap(mixed) > 0.3 and lin.largest_overlap(components) < 1e-9
    assert lin.largest_overlap(mixed[:1]) is None
    other = np.linalg.qr(np.hstack([components.T, rng.standard_normal((784, 2))]))[0][:, 3:].T
    np.testing.assert_allclose(lin.principal_cosines(other, components[:2]), 0, atol=1e-9)


def test_linear_autoencoder_finds_the_principal_subspace_of_low_rank_data(tmp_path):
    data = str(tmp_path / "data")
    directions = write_low_rank_dataset(data, rank=2)
    args = ["--data-dir", data, "--validation-size", 500, "--epochs", 100,
            "--learning-rate", 0.003, "--seed", 0, "--no-show"]
    result = run_main("linear_ae_vs_pca.py", 2, *args, cwd=tmp_path)
    k, cosine, ratio = CLAIM.fullmatch(result.stdout.splitlines()[-1]).groups()
    assert k == "2" and float(cosine) >= 0.99 and float(ratio) <= 1.02, result.stdout
    assert re.search(r"largest \|cosine\| between two decoder weight vectors: \d\.\d{4}", result.stdout)
    logdir = tmp_path / "linear_autoencoder_hidden=2_logs"
    config = json.loads((logdir / "model_config.json").read_text())
    assert (config["model"], config["n_code"], config["loss"]) == ("linear_autoencoder", 2,
                                                                    "squared error")
    # The decoder's weights span the directions the data was made from.
    weights = tf.train.load_variable(checkpoints.list_checkpoints(str(logdir))[-1], "linear/W_decode")
    assert lin.principal_cosines(weights, directions).min() > 0.99
    assert (tmp_path / "linear_ae_vs_pca.png").is_file() and (logdir / "loss_curve.png").is_file()

    # The same command again reloads the trained model and says the same.
    again = run_main("linear_ae_vs_pca.py", 2, *args, cwd=tmp_path)
    assert "Epoch:" not in again.stdout and again.stdout.splitlines()[-1] == result.stdout.splitlines()[-1]
    # ae_vs_pca.py reloads it too.
    compared = run_main("ae_vs_pca.py", logdir, "--no-show", cwd=tmp_path)
    assert re.search(r"linear autoencoder, epoch 100, \d+ steps\s+2\s+\d\.\d{5}", compared.stdout)


def test_linear_k_must_fit_an_image(tmp_path):
    result = run_main("linear_ae_vs_pca.py", 785, cwd=tmp_path, check=False)
    assert result.returncode == 2 and "at most 784" in result.stderr


def test_cross_entropy_is_stable_and_matches_numpy():
    with tf.Graph().as_default():
        logits = tf.placeholder(tf.float32, [None, 784])
        x = tf.placeholder(tf.float32, [None, 784])
        output = tf.nn.sigmoid(logits)
        per_image = model.cross_entropy(output, x)
        z = np.random.RandomState(0).uniform(-5, 5, (3, 784)).astype(np.float32)
        z[0, :10] = 80.0  # saturated: sigmoid gives exactly 1 in float32
        images = np.random.RandomState(1).rand(3, 784).astype(np.float32)
        with tf.Session() as sess:
            got = sess.run(per_image, {logits: z, x: images})
        with pytest.raises(ValueError, match="needs the output of a sigmoid"):
            model.cross_entropy(logits, x)
    z64 = z.astype(np.float64)
    expected = np.sum(np.maximum(z64, 0) - z64 * images + np.log1p(np.exp(-np.abs(z64))), axis=1)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, expected, rtol=1e-4)


@pytest.fixture(scope="session")
def theory_runs(tmp_path_factory):
    """A cross-entropy deep autoencoder and a denoising one at 25% corruption, on small data."""
    def make(base):
        data = str(base / "data")
        write_idx_dataset(data)
        deep = run_main("autoencoder_mnist.py", 2, "--epochs", 1, "--loss", "cross-entropy",
                        "--data-dir", data, *QUICK, "--no-show", cwd=base)
        noisy = run_main("denoising_autoencoder_mnist.py", 2, "--epochs", 1, "--corruption", 0.25,
                         "--data-dir", data, *QUICK, "--no-show", cwd=base)
        return [deep._asdict(), noisy._asdict()]
    base, (deep, noisy) = once_per_session(tmp_path_factory, "theory", make)
    return base, str(base / "data"), Result(**deep), Result(**noisy)


@pytest.mark.slow
def test_cross_entropy_runs_say_so_record_it_and_resume_only_as_such(theory_runs):
    base, data, deep, _ = theory_runs
    assert re.fullmatch(rf"{EXTRACTING}Epoch: 0001 cost = \d+\.\d{{9}}\n"
                        rf"Validation Loss: {NUMBER} \(cross-entropy\)\n"
                        rf"Optimization Finished!\nTest Loss: {NUMBER} \(cross-entropy\)\n"
                        r"Figure saved: mnist_autoencoder_hidden=2_logs/loss_curve.png\n", deep.stdout)
    logdir = base / "mnist_autoencoder_hidden=2_logs"
    assert json.loads((logdir / "model_config.json").read_text())["loss"] == "cross-entropy"
    record = (logdir / "record.csv").read_text().splitlines()
    assert float(record[1].split(",")[3]) > 100  # summed over 784 pixels, far above the L2 distance
    wrong = run_main("autoencoder_mnist.py", 2, "--epochs", 2, "--data-dir", data, *QUICK, cwd=base,
                check=False)
    assert wrong.returncode == 1 and "was trained with --loss cross-entropy; resume with the same" in wrong.stderr


@pytest.mark.slow
def test_corruption_level_is_recorded_and_used_by_dn_ae_test(theory_runs, tmp_path):
    base, data, _, noisy = theory_runs
    assert "(input corrupted, as in training)" in noisy.stdout
    logdir = base / "dn_mnist_autoencoder_hidden=2_logs"
    assert json.loads((logdir / "model_config.json").read_text())["corruption"] == 0.25
    result = run_main("dn_ae_test.py", logdir, "--save-dir", tmp_path, cwd=base)
    assert "(mean over 500, 25% of pixels zeroed, as the model was trained):" in result.stdout
    told = run_main("dn_ae_test.py", logdir, "--corruption", 0.4, "--save-dir", tmp_path, cwd=base)
    assert "40% of pixels zeroed, --corruption" in told.stdout
    bad = run_main("denoising_autoencoder_mnist.py", 2, "--corruption", 1.5, cwd=base, check=False)
    assert bad.returncode == 2 and "argument --corruption: must be a number from 0 to below 1" in bad.stderr


@pytest.mark.parametrize("corruption", [0.25, 0.1])
def test_masking_noise_keeps_the_share_it_is_asked_to(corruption):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 784])
        noisy = model.masking_noise(x, corruption)
        with tf.Session() as sess:
            out = sess.run(noisy, {x: np.ones((200, 784), np.float32)})
    assert (out == 0).mean() == pytest.approx(corruption, abs=0.01)
    assert set(np.unique(out)) <= {0.0, 1.0}


@pytest.mark.slow
def test_reload_scripts_read_the_new_checkpoints_and_draw_the_manifold(theory_runs, tmp_path):
    base, data, _, _ = theory_runs
    result = run_main("ae_vs_pca.py", base / "mnist_autoencoder_hidden=2_logs", "--save-dir", "figs",
                      cwd=tmp_path)
    assert re.search(r"deep autoencoder \(cross-entropy\), epoch 1, 5 steps\s+2\s+\d\.\d{5}",
                     result.stdout)
    assert "Figure saved: figs/ae_vs_pca_manifold_epoch0001.png" in result.stdout
    from PIL import Image
    with Image.open(tmp_path / "figs" / "ae_vs_pca_manifold_epoch0001.png") as image:
        assert image.size[0] > 1.4 * image.size[1]  # the codes beside the mosaic
    shifts = run_main("dn_ae_test.py", base / "dn_mnist_autoencoder_hidden=2_logs",
                      base / "mnist_autoencoder_hidden=2_logs", "--save-dir", "figs", cwd=tmp_path)
    lines = shifts.stdout.splitlines()
    start = lines.index("How far corruption moves the code (mean distance from a corrupted image's "
                        "code to its clean image's code, relative to the spread of the clean codes):")
    assert re.fullmatch(r"  denoising autoencoder \(25% masking\), epoch 1\s+\d+\.\d{4}",
                        lines[start + 1])
    assert re.fullmatch(r"  deep autoencoder \(cross-entropy\), epoch 1\s+\d+\.\d{4}", lines[start + 2])
    assert (tmp_path / "figs" / "dn_ae_test_codes_epoch0001.png").is_file()


@pytest.mark.slow
def test_no_manifold_for_a_wider_code(tmp_path, small_data):
    run_main("autoencoder_mnist.py", 3, "--epochs", 1, "--data-dir", small_data, *QUICK, cwd=tmp_path)
    result = run_main("ae_vs_pca.py", "mnist_autoencoder_hidden=3_logs", "--no-show", cwd=tmp_path)
    assert "ae_vs_pca_codes_epoch0001.png" in result.stdout
    assert "ae_vs_pca_manifold" not in result.stdout
    assert glob.glob(str(tmp_path / "mnist_autoencoder_hidden=3_logs" / "ae_vs_pca_*.png"))
