"""--precision mixed: a real change of the executed graph, float32 checkpoints, resume and reload."""

import json

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from aelab import checkpoints, model, precision, reload
from running import quick, read_record, run_main

needs_bfloat16 = pytest.mark.skipif(
    not precision.cpu_has_bfloat16() or bool(tf.config.list_physical_devices("GPU")),
    reason="this CPU has no bfloat16 instructions (AVX512_BF16 or AMX)")


def executed_types(config):
    """The dtypes of the graph TensorFlow ran for one training step of a tiny layer."""
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 64])
        phase_train = tf.placeholder(tf.bool, [])
        with tf.variable_scope("tiny"):
            output = model.layer(x, [64, 64], [64], phase_train)
        cost, _ = model.loss(output, x)
        train_op = model.training(cost, tf.Variable(0, trainable=False))
        with tf.Session(config=config) as sess:
            sess.run(tf.global_variables_initializer())
            metadata = tf.RunMetadata()
            sess.run(train_op, {x: np.random.rand(32, 64), phase_train: True},
                     options=tf.RunOptions(output_partition_graphs=True), run_metadata=metadata)
    return {tf.dtypes.as_dtype(value.type).name for graph in metadata.partition_graphs
            for node in graph.node for value in node.attr.values() if value.type}


@needs_bfloat16
def test_mixed_really_computes_in_bfloat16():
    mixed = precision.Precision("mixed")
    assert mixed.name == "mixed bfloat16" and mixed.loss_scale == 1.0
    assert "bfloat16" in executed_types(mixed.config)
    assert "bfloat16" not in executed_types(precision.Precision("float32").config)


def test_float32_asks_for_nothing():
    plain = precision.Precision("float32")
    assert (plain.name, plain.config, plain.loss_scale) == ("float32", None, 1.0)


def test_without_bfloat16_the_run_says_so_and_stays_float32(monkeypatch, capsys):
    monkeypatch.setattr(precision, "cpu_has_bfloat16", lambda: False)
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: [])
    mixed = precision.Precision("mixed")
    assert (mixed.name, mixed.config) == ("float32", None)
    assert "this CPU has no bfloat16 instructions" in capsys.readouterr().err


def test_adam_step_is_the_same_with_a_scaled_loss():
    """Why float16's loss scale needs no unscaling with Adam (but for epsilon)."""
    steps = []
    for scale in (1.0, 1024.0):
        with tf.Graph().as_default():
            v = tf.Variable(np.linspace(-1, 1, 10).astype(np.float32))
            train_op = model.training(tf.reduce_sum(tf.square(v - 0.3)), tf.Variable(0), 0.01,
                                      loss_scale=scale)
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                for _ in range(5):
                    sess.run(train_op)
                steps.append(sess.run(v))
    np.testing.assert_allclose(steps[0], steps[1], rtol=1e-5)


@needs_bfloat16
@pytest.mark.slow
def test_mixed_trains_checkpoints_float32_resumes_and_reloads(small_data, tmp_path):
    first = run_main("autoencoder_mnist.py", 2, "--epochs", 1, "--precision", "mixed",
                *quick(small_data), cwd=tmp_path)
    assert "--precision mixed: matrix products in bfloat16" in first.stderr
    assert "Epoch: 0001 cost = " in first.stdout  # the slides' lines, unchanged
    again = run_main("autoencoder_mnist.py", 2, "--epochs", 2, "--precision", "mixed",
                *quick(small_data), cwd=tmp_path)
    assert "Resuming from" in again.stdout and "Epoch: 0002" in again.stdout
    logdir = tmp_path / "mnist_autoencoder_hidden=2_logs"
    assert json.loads((logdir / "model_config.json").read_text())["precision"] == "mixed bfloat16"
    assert [row["precision"] for row in read_record(str(logdir))] == ["mixed bfloat16"] * 2
    prefix = checkpoints.list_checkpoints(str(logdir))[-1]
    for name in ("encoder/hidden_1/W", "encoder/hidden_1/W/Adam", "encoder/hidden_1/moving_mean"):
        assert tf.train.load_variable(prefix, name).dtype == np.float32
    reloaded = reload.load(str(logdir))  # what the reload scripts do: no flag needed
    assert reloaded.label == "deep autoencoder, epoch 2"
    assert reloaded.encode(np.zeros((3, 784), np.float32)).shape == (3, 2)
    float32_resume = run_main("autoencoder_mnist.py", 2, "--epochs", 3, *quick(small_data), cwd=tmp_path)
    assert [row["precision"] for row in read_record(str(logdir))][-1] == "float32"
    assert "Epoch: 0003" in float32_resume.stdout


@pytest.mark.slow
def test_the_float16_loss_scale_reaches_every_optimiser_layerwise_included(small_data, tmp_path,
                                                                           monkeypatch):
    """On a GPU the whole network's Adam and each layer-wise stage's get the same loss scale."""
    import autoencoder_mnist
    from aelab import stacking
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: ["a GPU"])
    scales = []

    def spy(*args, loss_scale=1.0, **kwargs):
        scales.append(loss_scale)
        return model.training(*args, loss_scale=loss_scale, **kwargs)
    monkeypatch.setattr(autoencoder_mnist, "training", spy)
    monkeypatch.setattr(stacking, "training", spy)
    monkeypatch.setattr(autoencoder_mnist, "encoder_hidden", (64, 32, 16))
    monkeypatch.setattr(autoencoder_mnist, "decoder_hidden", (16, 32, 64))
    run_main("autoencoder_mnist.py", 3, "--epochs", 5, "--pretrain", "layerwise",
             "--pretrain-epochs", 1, "--precision", "mixed", *quick(small_data), "--no-show",
             cwd=tmp_path)
    assert scales == [precision.LOSS_SCALE] * 5  # the whole network's, then 4 stages'
