"""The models past the slides (conv, sparse, variational): trained through autoencoder_mnist.train,
each a kind registered in aelab/kinds.py, reloaded by the reload scripts in processes of their own."""

import json
import os
import re
import shutil

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from aelab import checkpoints, kinds, model, record, reload
from datasets import write_idx_dataset
from running import quick, read_record, run_main, run_process
from shared import once_per_session

RUNS = {  # folder: (script, arguments)
    "conv_mnist_autoencoder_hidden=2_logs": ("conv_autoencoder_mnist.py", [2]),
    "dn_conv_mnist_autoencoder_hidden=2_logs": ("conv_autoencoder_mnist.py",
                                                [2, "--corruption", 0.25]),
    "sparse_mnist_autoencoder_logs": ("sparse_autoencoder_mnist.py", [16]),
    "vae_mnist_hidden=2_logs": ("variational_autoencoder_mnist.py", [2]),
}
NUMBER = r"([-\d.e+]+)"


@pytest.fixture(scope="module")
def new_runs(tmp_path_factory):
    """Each new kind trained one short epoch on the small data: (folder, {run folder: stdout})."""
    def make(base):
        data = str(base / "data")
        write_idx_dataset(data)
        return {folder: run_main(script, *args, "--epochs", 1, *quick(data), "--no-show",
                                 cwd=base).stdout for folder, (script, args) in RUNS.items()}
    return once_per_session(tmp_path_factory, "new_runs", make)


def test_the_conv_model_prints_the_deep_models_lines(new_runs):
    _, printed = new_runs
    for folder in ("conv_mnist_autoencoder_hidden=2_logs", "dn_conv_mnist_autoencoder_hidden=2_logs"):
        assert re.search(r"^Epoch: 0001 cost = \d+\.\d{9}\nValidation Loss: [\d.]+( \(input "
                         r"corrupted, as in training\))?\n", printed[folder], re.M), printed[folder]
    assert "Validation Loss: " in printed["conv_mnist_autoencoder_hidden=2_logs"]
    assert "(input corrupted, as in training)" in printed["dn_conv_mnist_autoencoder_hidden=2_logs"]


def test_the_vae_prints_its_negative_elbo_with_its_two_parts_on_the_same_lines(new_runs):
    printed = new_runs[1]["vae_mnist_hidden=2_logs"]
    for line in (r"Epoch: 0001 cost = ", r"Validation Loss: ", r"Test Loss: "):
        cost, reconstruction, kl = map(float, re.search(
            rf"^{line}{NUMBER} \(reconstruction {NUMBER}, KL {NUMBER}\)$", printed, re.M).groups())
        assert cost == pytest.approx(reconstruction + kl, rel=1e-4)
        assert reconstruction > 100 and kl >= 0  # summed over 784 pixels, as the ELBO's


def test_the_sparse_model_prints_its_penalty_and_mean_activation_beside_the_cost(new_runs):
    printed = new_runs[1]["sparse_mnist_autoencoder_logs"]
    for line in (r"Epoch: 0001 cost = ", r"Validation Loss: "):
        cost, reconstruction, penalty, activation = map(float, re.search(
            rf"^{line}{NUMBER} \(reconstruction {NUMBER}, penalty {NUMBER}, mean activation "
            rf"{NUMBER}\)$", printed, re.M).groups())
        assert cost == pytest.approx(reconstruction + 3 * penalty, rel=1e-4)  # beta 3
        assert 0 < activation < 1


def test_each_run_records_its_own_kind_architecture_and_settings(new_runs):
    base, _ = new_runs
    configs = {folder: record.load_config(str(base / folder)) for folder in RUNS}
    conv = configs["conv_mnist_autoencoder_hidden=2_logs"]
    assert (conv["model"], conv["filters"]) == ("conv_autoencoder", [32, 64])
    assert "encoder_hidden" not in conv and "pretrain" not in conv  # not the dense model's
    noisy = configs["dn_conv_mnist_autoencoder_hidden=2_logs"]
    assert (noisy["model"], noisy["corruption"]) == ("conv_denoising_autoencoder", 0.25)
    sparse = configs["sparse_mnist_autoencoder_logs"]
    assert (sparse["model"], sparse["n_code"], sparse["penalty"], sparse["sparsity_weight"],
            sparse["sparsity_target"]) == ("sparse_autoencoder", 16, "kl", 3.0, 0.05)
    vae = configs["vae_mnist_hidden=2_logs"]
    assert (vae["model"], vae["encoder_hidden"], vae["decoder_hidden"], vae["beta"],
            vae["loss"]) == ("variational_autoencoder", [512, 256], [256, 512], 1.0,
                             "negative ELBO")
    row, = read_record(base / "vae_mnist_hidden=2_logs")
    assert row["beta"] == "1.0"
    # The cost's parts, as printed, kept for the loss curve's lower panel.
    printed = new_runs[1]["vae_mnist_hidden=2_logs"]
    train_kl, = re.search(rf"^Epoch: 0001 .* KL {NUMBER}\)$", printed, re.M).groups()
    val_reconstruction, = re.search(rf"^Validation Loss: \S+ \(reconstruction {NUMBER},",
                                    printed, re.M).groups()
    assert float(row["train_KL"]) == pytest.approx(float(train_kl), rel=1e-5)
    assert float(row["val_reconstruction"]) == pytest.approx(float(val_reconstruction), rel=1e-5)


def test_a_kinds_own_setting_changed_on_resume_is_said_and_recorded(new_runs, tmp_path):
    base, _ = new_runs
    logdir = tmp_path / "sparse_mnist_autoencoder_logs"
    shutil.copytree(base / "sparse_mnist_autoencoder_logs", logdir)
    resumed = run_main("sparse_autoencoder_mnist.py", 16, "--epochs", 2, "--sparsity-weight", 1,
                       *quick(str(base / "data")), "--no-show", cwd=tmp_path)
    assert ("resuming at sparsity weight 1.0; epoch 1 was trained at 3.0 (--restart starts over)"
            in resumed.stderr)
    assert re.search(rf"^Epoch: 0002 cost = {NUMBER} ", resumed.stdout, re.M)
    assert [row["sparsity_weight"] for row in read_record(logdir)] == ["3.0", "1.0"]
    assert record.load_config(str(logdir))["trained_with"]["sparsity_weight"] == [
        [1, 1, "3.0"], [2, 2, "1.0"]]
    # What it learns stays: another penalty is another run.
    other = run_main("sparse_autoencoder_mnist.py", 16, "--epochs", 3, "--penalty", "l1",
                     *quick(str(base / "data")), cwd=tmp_path, check=False)
    assert other.returncode == 1 and "was trained with --penalty kl" in other.stderr


def test_kinds_that_share_a_script_are_told_apart_in_a_refusal(new_runs, tmp_path):
    base, _ = new_runs
    refused = run_main("conv_autoencoder_mnist.py", 2, "--logdir",
                       base / "dn_conv_mnist_autoencoder_hidden=2_logs",
                       *quick(str(base / "data")), cwd=tmp_path, check=False)
    assert refused.returncode == 1
    assert ("holds a run of conv_autoencoder_mnist.py (convolutional denoising autoencoder) with "
            "N_CODE 2, not of conv_autoencoder_mnist.py (convolutional autoencoder)"
            in refused.stderr)


@pytest.mark.parametrize("script, args", [("conv_autoencoder_mnist.py", [2]),
                                          ("sparse_autoencoder_mnist.py", []),
                                          ("variational_autoencoder_mnist.py", [2])])
def test_layerwise_pretraining_is_refused_in_one_line_where_it_does_not_apply(script, args,
                                                                             tmp_path):
    result = run_main(script, *args, "--pretrain", "layerwise", "--epochs", 30, cwd=tmp_path,
                      check=False)
    assert result.returncode == 1
    assert re.fullmatch(r"error: --pretrain layerwise trains the dense autoencoders' layers one "
                        r"at a time; the [a-z ]+ autoencoder has no such stack \(leave "
                        r"--pretrain out\)\n", result.stderr), result.stderr
    assert os.listdir(tmp_path) == []


@pytest.mark.slow
def test_the_reload_scripts_reload_each_new_kind_in_a_process_of_their_own(new_runs, tmp_path):
    """The kinds are registered where a reload process sees them (not beside their scripts)."""
    base, _ = new_runs
    pictures = {"conv_mnist_autoencoder_hidden=2_logs": ["ae_vs_pca_manifold"],
                "sparse_mnist_autoencoder_logs": ["sparse_units", "sparse_activations"],
                "vae_mnist_hidden=2_logs": ["ae_vs_pca_manifold", "vae_prior"]}
    for folder, names in pictures.items():
        result = run_process("ae_vs_pca.py", base / folder, "--save-dir", tmp_path / folder,
                             cwd=base)
        title = kinds.get(record.load_config(str(base / folder))["model"]).title
        assert f"{title}" in result.stdout
        for name in ["ae_vs_pca_codes", "ae_vs_pca_reconstructions", *names]:
            assert (tmp_path / folder / f"{name}_epoch0001.png").is_file(), name
    denoised = run_process("dn_ae_test.py", base / "dn_conv_mnist_autoencoder_hidden=2_logs",
                           base / "conv_mnist_autoencoder_hidden=2_logs", "--save-dir", tmp_path,
                           cwd=base)
    assert "25% of pixels zeroed, as the model was trained" in denoised.stdout
    assert "convolutional denoising autoencoder (25% masking), epoch 1" in denoised.stdout
    assert "convolutional autoencoder, epoch 1" in denoised.stdout


@pytest.mark.parametrize("folder", sorted(RUNS))
def test_decoding_a_models_codes_gives_its_reconstructions(new_runs, folder):
    """reload's decode feeds the code tensor: each kind's output depends on x only through it."""
    base, _ = new_runs
    m = reload.load(str(base / folder))
    images = np.random.RandomState(0).uniform(size=(20, 784)).astype(np.float32)
    np.testing.assert_allclose(m.decode(m.encode(images)), m.reconstruct(images), atol=1e-5)


def test_the_vae_scores_each_image_by_its_negative_elbo(new_runs):
    """Kind.scored of the VAE: per image, and its mean over the test images is the test loss."""
    base, printed = new_runs
    logdir = str(base / "vae_mnist_hidden=2_logs")
    test_loss = float(re.search(rf"^Test Loss: {NUMBER} ", printed["vae_mnist_hidden=2_logs"],
                                re.M).group(1))
    from aelab import input_data
    images = input_data.read_data_sets(str(base / "data"), validation_size=500).test.images
    with tf.Graph().as_default():
        tf.set_random_seed(0)
        x = tf.placeholder(tf.float32, [None, 784])
        code, output, score = kinds.VARIATIONAL_AUTOENCODER.scored(
            x, 2, tf.constant(False), record.load_config(logdir))
        with tf.Session() as sess:
            tf.train.Saver().restore(sess, checkpoints.list_checkpoints(logdir)[-1])
            scores = sess.run(score, {x: images})
    assert scores.shape == (len(images),)
    assert scores.mean() == pytest.approx(test_loss, rel=0.02)  # one sampled code per image


def test_batch_norm_normalises_each_channel_of_a_convolution_over_batch_height_and_width():
    rng = np.random.RandomState(0)
    images = rng.normal(loc=[1.0, -3.0, 10.0], scale=[1.0, 2.0, 5.0], size=(8, 5, 5, 3))
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 5, 5, 3])
        phase_train = tf.placeholder(tf.bool, [])
        with tf.variable_scope("bn"):
            normal = model.layer_batch_norm(x, 3, phase_train)
        moving_mean, = [v for v in tf.global_variables() if v.op.name == "bn/moving_mean"]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            out = sess.run(normal, {x: images, phase_train: True})
            np.testing.assert_allclose(out.mean(axis=(0, 1, 2)), 0, atol=1e-4)
            np.testing.assert_allclose(out.std(axis=(0, 1, 2)), 1, atol=1e-2)
            np.testing.assert_allclose(sess.run(moving_mean), 0.1 * images.mean(axis=(0, 1, 2)),
                                       rtol=1e-4)


def test_the_penalties_and_the_elbo_are_the_textbook_formulas():
    rng = np.random.RandomState(0)
    hidden = rng.uniform(0.01, 0.99, size=(6, 4)).astype(np.float32)
    mean, log_var = rng.normal(size=(2, 6, 3)).astype(np.float32)
    logits = rng.normal(size=(6, 784)).astype(np.float32)
    x = rng.uniform(size=(6, 784)).astype(np.float32)
    with tf.Graph().as_default(), tf.Session() as sess:
        kl_sparse, l1, kl, (elbo, reconstruction, kl_part) = sess.run([
            model.sparsity_penalty(tf.constant(hidden), "kl", 0.05),
            model.sparsity_penalty(tf.constant(hidden), "l1"),
            model.kl_divergence(tf.constant(mean), tf.constant(log_var)),
            model.negative_elbo(tf.nn.sigmoid(tf.constant(logits)), tf.constant(x),
                                tf.constant(mean), tf.constant(log_var))])
    rho_hat = hidden.mean(axis=0)
    assert kl_sparse == pytest.approx(np.sum(0.05 * np.log(0.05 / rho_hat)
                                             + 0.95 * np.log(0.95 / (1 - rho_hat))), rel=1e-5)
    assert l1 == pytest.approx(np.abs(hidden).sum(axis=1).mean(), rel=1e-5)
    expected_kl = 0.5 * np.sum(np.exp(log_var) + mean ** 2 - 1 - log_var, axis=1)
    np.testing.assert_allclose(kl, expected_kl, rtol=1e-5)
    p = 1 / (1 + np.exp(-logits))
    expected = -np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=1)
    np.testing.assert_allclose(reconstruction, expected, rtol=1e-4)
    np.testing.assert_allclose(elbo, expected + expected_kl, rtol=1e-4)
    np.testing.assert_allclose(kl_part, expected_kl, rtol=1e-5)


def test_each_kinds_loss_curve_says_what_its_cost_measures(monkeypatch, tmp_path):
    said = []
    monkeypatch.setattr(record.figures, "loss_curve", lambda *a: said.append(a[5]) or a)
    monkeypatch.setattr(record.figures, "save_figure", lambda fig, path: path)
    monkeypatch.setattr(record.figures.plt, "close", lambda fig: None)
    rows = [{"epoch": "1", "train_cost": "1", "val_loss": "1"}]
    for kind, settings in [(kinds.VARIATIONAL_AUTOENCODER, {"loss": "negative ELBO"}),
                           (kinds.SPARSE_AUTOENCODER, {"loss": "cross-entropy"}),
                           (kinds.CONV_AUTOENCODER, {"loss": "l2"})]:
        record.write_loss_curve(str(tmp_path), rows, "title", kind, settings)
    assert said == ["mean per-image negative ELBO (cross-entropy + KL)",
                    "mean per-image cross-entropy + weight x sparsity penalty",
                    "mean per-image L2 error"]


def test_every_kind_is_registered_in_the_module_every_process_imports():
    """A reload process imports aelab.kinds (through aelab.record), never a training script."""
    code = ("import sys; from aelab import record; print(sorted(record.kinds.REGISTRY)); "
            "print(any(m.endswith('_mnist') for m in sys.modules))")
    result = run_process(["-c", code], cwd=os.path.dirname(os.path.dirname(__file__)))
    assert json.loads(result.stdout.splitlines()[0].replace("'", '"')) == sorted([
        "autoencoder", "denoising_autoencoder", "linear_autoencoder", "conv_autoencoder",
        "conv_denoising_autoencoder", "sparse_autoencoder", "variational_autoencoder"])
    assert result.stdout.splitlines()[1] == "False"
