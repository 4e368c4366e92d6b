"""A kind of model of the test's own, trained, resumed and reloaded through the kit's machinery
(aelab/kinds.py, runs.Run, reload.load, ae_vs_pca.py) with no change to any module under aelab/."""

import argparse
import os

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from aelab import checkpoints, input_data, kinds, record, reload, runs
from aelab.stacking import train_epoch
from running import run_main


def one_layer(x, n_code, phase_train, config):
    """784 -> n_code -> 784, a sigmoid each way and no batch norm (phase_train unused)."""
    with tf.variable_scope("one_layer"):
        W = tf.get_variable("W", [784, n_code])
        b = tf.get_variable("b", [n_code], initializer=tf.zeros_initializer())
        code = tf.nn.sigmoid(tf.matmul(x, W) + b)
        W_out = tf.get_variable("W_out", [n_code, 784])
        b_out = tf.get_variable("b_out", [784], initializer=tf.zeros_initializer())
    return code, tf.nn.sigmoid(tf.matmul(code, W_out) + b_out)


ONE_LAYER = kinds.Kind("one_layer_autoencoder", "one-layer autoencoder", "test_kinds.py",
                       "one_layer_hidden={n_code}_logs", one_layer, learns={"loss": "l2"})


def train(argv):
    """A training script of this kind, with options of its own (not the lab's names)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("width", type=int)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--images", required=True)
    options = parser.parse_args(argv)
    mnist = input_data.read_data_sets(options.images, validation_size=500, seed=0)
    settings = {"learning_rate": 0.01, "batch_size": 50, "dataset": "mnist",
                "data_dir": os.path.abspath(options.images), "data": os.path.abspath(options.images),
                "validation_size": 500, "loss": "l2"}
    run = runs.Run(ONE_LAYER, ONE_LAYER.default_logdir(options.width), options.width,
                   total_batch=4, epochs=options.rounds, settings=settings)
    with tf.Graph().as_default():
        tf.set_random_seed(0)
        x = tf.placeholder(tf.float32, [None, 784])
        _, output = one_layer(x, options.width, None, settings)
        cost = tf.reduce_mean(tf.reduce_sum(tf.square(output - x), 1))
        global_step = tf.Variable(0, name="global_step", trainable=False)
        train_op = tf.train.AdamOptimizer(0.01).minimize(cost, global_step)
        saver = tf.train.Saver(max_to_keep=None)
        with tf.Session() as sess, run:
            sess.run(tf.global_variables_initializer())
            start = run.resume(sess, saver)
            run.summary_writers()
            for epoch in range(start, options.rounds):
                avg_cost = train_epoch(sess, run, train_op, cost, mnist.train, 50,
                                       lambda images, labels: {x: images})
                val = run.evaluate(cost, feed_dict={x: mnist.validation.images})
                saver.save(sess, checkpoints.checkpoint_path(run.logdir, epoch + 1),
                           global_step=global_step)
                run.epoch_done(epoch + 1, avg_cost, val)
    return run.finish()


@pytest.fixture
def registered(monkeypatch):
    """The test's kind in the registry for this test only."""
    monkeypatch.setitem(kinds.REGISTRY, ONE_LAYER.name, ONE_LAYER)
    return ONE_LAYER


def test_a_kind_of_the_tests_own_trains_resumes_and_reloads(registered, small_data, tmp_path,
                                                           monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert train(["3", "--images", small_data]) == 0
    logdir = tmp_path / "one_layer_hidden=3_logs"
    assert record.load_config(str(logdir))["model"] == "one_layer_autoencoder"
    assert train(["3", "--rounds", "3", "--images", small_data]) == 0  # resumes at epoch 3
    assert "Resuming from one_layer_hidden=3_logs/model-checkpoint-0002-8" in capsys.readouterr().out
    assert [int(row["epoch"]) for row in record.read_record(str(logdir), 99)] == [1, 2, 3]

    model = reload.load(str(logdir))
    assert model.label == "one-layer autoencoder, epoch 3"
    assert model.encode(np.zeros((4, 784), np.float32)).shape == (4, 3)
    compared = run_main("ae_vs_pca.py", logdir, "--save-dir", tmp_path / "figures", cwd=tmp_path)
    assert "one-layer autoencoder, epoch 3" in compared.stdout

    # Another kind's script refuses its folder, naming the script that trained it.
    refused = run_main("autoencoder_mnist.py", 3, "--logdir", logdir, "--data-dir", small_data,
                       cwd=tmp_path, check=False)
    assert refused.returncode == 1
    assert "holds a run of test_kinds.py with N_CODE 3, not of autoencoder_mnist.py" in refused.stderr


def test_a_kind_nobody_registered_is_named_as_such(tmp_path):
    (tmp_path / record.CONFIG_FILE).write_text('{"model": "one_layer_autoencoder", "n_code": 3}')
    with pytest.raises(ValueError, match="not a model config of this lab .*autoencoder, "
                                         "denoising_autoencoder, linear_autoencoder"):
        record.load_config(str(tmp_path))
