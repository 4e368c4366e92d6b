"""The shared model module: shapes, the loss, corruption and batch norm."""

from types import SimpleNamespace

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from aelab import LabError, kinds, model, record


@pytest.fixture
def graph():
    with tf.Graph().as_default() as g:
        tf.set_random_seed(0)
        yield g


def _batch(n, seed=0):
    return np.random.RandomState(seed).rand(n, 784).astype(np.float32)


def _placeholders():
    return (tf.placeholder(tf.float32, name="x", shape=[None, 784]),
            tf.placeholder(tf.bool, name="phase_train", shape=[]))


def _autoencoder(n_code, hidden=model.ENCODER_HIDDEN):
    """The slides' wiring, as autoencoder_mnist.py builds it: placeholders, encoder, decoder."""
    x, phase_train = _placeholders()
    code = model.encoder(x, n_code, phase_train, hidden)
    output = model.decoder(code, n_code, phase_train, hidden[::-1])
    return SimpleNamespace(x=x, phase_train=phase_train, code=code, output=output)


@pytest.mark.parametrize("n_code", [2, 30])
def test_code_and_output_shapes(graph, n_code):
    m = _autoencoder(n_code)
    assert m.code.shape.as_list() == [None, n_code]
    assert m.output.shape.as_list() == [None, 784]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        code, output = sess.run([m.code, m.output], {m.x: _batch(5), m.phase_train: True})
    assert code.shape == (5, n_code) and output.shape == (5, 784)
    assert 0 < output.min() and output.max() < 1


def test_layers_sit_in_the_slides_scopes(graph):
    _autoencoder(2)
    names = {v.op.name for v in tf.global_variables()}
    assert {"encoder/hidden_1/W", "encoder/code/b", "decoder/output/W",
            "encoder/hidden_1/moving_mean", "decoder/hidden_3/gamma"} <= names
    shape = {v.op.name: v.shape.as_list() for v in tf.global_variables()}
    assert shape["encoder/hidden_1/W"] == [784, 1000]
    assert shape["encoder/code/W"] == [250, 2]
    assert shape["decoder/hidden_1/W"] == [2, 250]


def test_loss_is_the_batch_mean_of_per_image_l2(graph):
    output = tf.placeholder(tf.float32, [None, 784])
    x = tf.placeholder(tf.float32, [None, 784])
    cost, summary = model.loss(output, x)
    val_cost, _, _, _ = model.evaluate(output, x)
    a, b = _batch(8, 1), _batch(8, 2)
    expected = np.mean(np.sqrt(np.sum((a - b) ** 2, axis=1)))
    with tf.Session() as sess:
        got, got_val = sess.run([cost, val_cost], {output: a, x: b})
    assert got == pytest.approx(expected, rel=1e-5)
    assert got_val == pytest.approx(expected, rel=1e-5)
    assert summary.op.type == "ScalarSummary"


def test_corrupt_input_keeps_each_pixel_with_probability_one_half(graph):
    x = tf.placeholder(tf.float32, [None, 784])
    corrupted = model.corrupt_input(x)
    images = _batch(200) + 0.5  # no zero pixels to begin with
    with tf.Session() as sess:
        out, again = sess.run(corrupted, {x: images}), sess.run(corrupted, {x: images})
    kept = out != 0
    assert kept.mean() == pytest.approx(0.5, abs=0.01)  # 156,800 pixels: 0.5 +- 0.004 at 3 sigma
    np.testing.assert_array_equal(out[kept], images[kept])
    assert not np.array_equal(out, again)  # fresh noise each run


def test_denoising_corrupts_the_encoder_input_unless_corrupt_is_fed_0(graph):
    """The slides' loop feeds x and phase_train only: the corruption is on unless fed off."""
    from denoising_autoencoder_mnist import denoising_autoencoder
    x, phase_train = _placeholders()
    output, cost, _ = denoising_autoencoder(x, 2, phase_train)
    corrupt = graph.get_tensor_by_name("corrupt:0")
    c_x = graph.get_operation_by_name("encoder/hidden_1/MatMul").inputs[0]  # what the encoder sees
    images = _batch(50) + 0.5
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        noisy, noisy_cost = sess.run([c_x, cost], {x: images, phase_train: False})
        clean = sess.run(c_x, {x: images, corrupt: 0})
        clean_cost = sess.run(cost, {x: images, corrupt: 0, phase_train: False})
    np.testing.assert_array_equal(clean, images)
    assert (noisy == 0).mean() == pytest.approx(0.5, abs=0.02)
    assert noisy_cost != clean_cost  # the loss is measured against the clean x either way


def _moving(name):
    return tf.global_variables(f"encoder/hidden_1/{name}")[0]


def test_inference_ignores_the_other_images_in_the_batch(graph):
    m = _autoencoder(2)
    cost, _ = model.loss(m.output, m.x)
    train_op = model.training(cost, tf.train.get_or_create_global_step())
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for i in range(3):  # move the averages away from their start
            sess.run(train_op, {m.x: _batch(20, i), m.phase_train: True})
        alone = sess.run(m.output, {m.x: _batch(1, 10), m.phase_train: False})
        crowd = np.concatenate([_batch(1, 10), _batch(30, 11)])
        together = sess.run(m.output, {m.x: crowd, m.phase_train: False})
        train_alone = sess.run(m.output, {m.x: _batch(1, 10)[[0, 0]], m.phase_train: True})
        train_crowd = sess.run(m.output, {m.x: crowd, m.phase_train: True})
    np.testing.assert_allclose(together[0], alone[0], rtol=1e-5, atol=1e-6)
    # ...whereas in training the batch statistics do depend on the others.
    assert np.abs(train_crowd[0] - train_alone[0]).max() > 1e-3


def test_batch_norm_averages_move_in_training_only(graph):
    m = _autoencoder(2)
    mean, var = _moving("moving_mean"), _moving("moving_variance")
    W, b = tf.global_variables("encoder/hidden_1/W")[0], tf.global_variables("encoder/hidden_1/b")[0]
    images = _batch(64)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        before = sess.run([mean, var])
        sess.run(m.output, {m.x: images, m.phase_train: False})
        np.testing.assert_array_equal(sess.run(mean), before[0])
        np.testing.assert_array_equal(sess.run(var), before[1])
        w, bias = sess.run([W, b])
        sess.run(m.output, {m.x: images, m.phase_train: True})
        after = sess.run([mean, var])
    logits = images @ w + bias
    np.testing.assert_allclose(after[0], 0.9 * before[0] + 0.1 * logits.mean(0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(after[1], 0.9 * before[1] + 0.1 * logits.var(0), rtol=1e-4, atol=1e-5)


def test_architecture_other_than_the_slides(graph):
    m = _autoencoder(4, hidden=(64, 32, 16))
    shape = {v.op.name: v.shape.as_list() for v in tf.global_variables()}
    assert shape["encoder/hidden_1/W"] == [784, 64] and shape["encoder/code/W"] == [16, 4]
    assert shape["decoder/hidden_1/W"] == [4, 16] and shape["decoder/output/W"] == [64, 784]
    assert m.output.shape.as_list() == [None, 784]


def test_config_round_trip_and_refusal(tmp_path):
    record.save_config(str(tmp_path), kinds.DENOISING_AUTOENCODER, 30, epochs=5, dataset="fashion")
    config = record.load_config(str(tmp_path))
    assert config == {"model": "denoising_autoencoder", "n_code": 30, "epochs": 5, "dataset": "fashion"}
    assert record.load_config(str(tmp_path / "elsewhere")) is None
    for bad in ('{"model": "basic", "n_code": 2}', '{"model": "autoencoder", "n_code": "2"}',
                '{"model": "autoencoder", "n_code": 2.0}', '{"model": "autoencoder"}',
                '{"model": "autoencoder", "n_code": 2, "encoder_hidden": [1000, 500]}',
                '{"model": "autoencoder", "n_code": 2, "decoder_hidden": [250, 0, 1000]}', "[]"):
        (tmp_path / record.CONFIG_FILE).write_text(bad)
        with pytest.raises(ValueError, match="not a model config of this lab"):
            record.load_config(str(tmp_path))
    with pytest.raises(LabError, match="the model 'basic' is none this kit knows"):
        kinds.get("basic")


def test_one_training_step_matches_an_independent_numpy_computation(graph):
    """The loss and the batch statistics of a training step, recomputed in NumPy.

    Guards the maths against speed-ups: any change to the layers, batch norm
    or loss that alters what a step computes fails here.
    """
    import autoencoder_mnist
    x_in, phase_train = _placeholders()
    output, cost_op, _ = autoencoder_mnist.autoencoder(x_in, 3, phase_train)
    train_op = model.training(cost_op, tf.Variable(0, name="global_step", trainable=False), 0.001)
    x = _batch(6, 7)
    layers = [f"encoder/{n}" for n in ("hidden_1", "hidden_2", "hidden_3", "code")] + \
             [f"decoder/{n}" for n in ("hidden_1", "hidden_2", "hidden_3", "output")]
    params = {v.op.name: v for v in tf.global_variables()}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        before = sess.run(params)
        _, cost = sess.run([train_op, cost_op], {x_in: x, phase_train: True})
        after = sess.run(params)

    h = x.astype(np.float64)
    for name in layers:
        z = h @ before[f"{name}/W"] + before[f"{name}/b"]
        mean, var = z.mean(axis=0), z.var(axis=0)  # biased variance, as tf.nn.moments
        np.testing.assert_allclose(after[f"{name}/moving_mean"],
                                   0.9 * before[f"{name}/moving_mean"] + 0.1 * mean,
                                   rtol=1e-4, atol=1e-5, err_msg=name)
        np.testing.assert_allclose(after[f"{name}/moving_variance"],
                                   0.9 * before[f"{name}/moving_variance"] + 0.1 * var,
                                   rtol=1e-4, atol=1e-5, err_msg=name)
        normed = (z - mean) / np.sqrt(var + 1e-3) * before[f"{name}/gamma"] + before[f"{name}/beta"]
        h = 1 / (1 + np.exp(-normed))
    expected = np.mean(np.sqrt(np.sum((h - x) ** 2, axis=1)))
    assert cost == pytest.approx(expected, rel=1e-5)
    # Adam's first step moves every weight by about the learning rate, against its gradient.
    step = after["encoder/hidden_1/W"] - before["encoder/hidden_1/W"]
    assert np.median(np.abs(step[np.abs(step) > 0])) == pytest.approx(0.001, rel=0.05)
    assert after["global_step"] == 1
