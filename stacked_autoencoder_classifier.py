"""Stacked autoencoders as a classifier's start (slides 이론 II, "Denoising autoencoder - Result").

    python stacked_autoencoder_classifier.py

puts a softmax layer on top of an encoder of sigmoid(batchnorm(xW+b)) layers
(aelab/model.py's `layer`), fine-tunes the whole network on the labels, and
compares in one table the test error reached from three starts:

  random   the encoder as initialised, no pretraining;
  SAA      stacked autoencoders: each layer first trained layer-wise to
           reconstruct the codes of the layers below (aelab/stacking.py,
           as autoencoder_mnist.py --pretrain layerwise);
  SdA      the same with masking noise on each layer's input (--corruption).

Every row starts from the same random weights (--seed) and gets the same
fine-tuning. `--from CHECKPOINT` adds a row that starts from the encoder of a
deep or denoising autoencoder trained by the lab scripts. The defaults are
small, to finish in a minute or two on a CPU; the paper's setting is three
hidden layers of 1000 units: --hidden 1000,1000,1000.
"""

import aelab.quiet_tensorflow  # TensorFlow starts without its start-up lines, in graph mode

import argparse
import os
import time
from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import tensorflow.compat.v1 as tf

from aelab import argtypes, checkpoints, cli, figures, input_data, kinds, reload, steps
from aelab.model import ENCODER_HIDDEN, layer, training
from aelab.stacking import ENCODER_SCOPES, encoder_widths, layerwise_training, train_epoch

# 옵션 설정
hidden = (500, 500, 500)
pretrain_epochs = 3   # per layer
fine_tune_epochs = 10  # --epochs
train_size = 10000    # training images used: the paper's "MNIST basic" has 10,000
corruption = 0.1      # SdA's masking noise on MNIST basic in the paper's table
batch_size = 100
learning_rate = 0.001
seed = 0              # one random start shared by every row
LOGDIR = "stacked_classifier_logs"
FIGURE_FILE = "validation_error.png"


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Compare a classifier's test error from a random start, from stacked "
                    "autoencoders (SAA) and from stacked denoising autoencoders (SdA).")
    parser.add_argument("--hidden", default=",".join(map(str, hidden)), metavar="N,N,...",
                        help=f"widths of the encoder's layers (default: {','.join(map(str, hidden))})")
    parser.add_argument("--pretrain-epochs", type=argtypes.positive_int, default=pretrain_epochs,
                        metavar="N", help=f"layer-wise epochs per layer (default: {pretrain_epochs})")
    parser.add_argument("--corruption", type=float, default=corruption, metavar="P",
                        help=f"SdA's masking noise: chance a pixel or unit is zeroed "
                             f"(default: {corruption})")
    parser.add_argument("--train-size", type=argtypes.positive_int, default=train_size, metavar="N",
                        help=f"training images used (default: {train_size})")
    parser.add_argument("--from", dest="checkpoints", action="append", default=[],
                        metavar="CHECKPOINT",
                        help="also start from the encoder of this autoencoder_mnist.py or "
                             "denoising_autoencoder_mnist.py checkpoint (repeatable)")
    parser.add_argument("--logdir", default=LOGDIR, metavar="DIR",
                        help=f"where each row's checkpoints go (default: {LOGDIR})")
    cli.add_training_arguments(parser, fine_tune_epochs, batch_size, learning_rate,
                               seed_help=f"random seed of the start that every row shares, of "
                                         f"the batches and of the noise (default: {seed})")
    figures.add_figure_arguments(parser, f"DIR/{FIGURE_FILE}")
    args = parser.parse_args(argv)
    text = args.hidden
    try:
        args.hidden = [int(n) for n in text.split(",")]
    except ValueError:
        args.hidden = [0]
    if min(args.hidden) < 1:
        parser.error(f"argument --hidden: give positive widths like 500,500,500, not {text!r}")
    if not 0 <= args.corruption < 1:
        parser.error(f"argument --corruption: must be at least 0 and below 1, not {args.corruption}")
    args.seed = seed if args.seed is None else args.seed
    return args


def build_row(widths, scopes, corruption, lr):
    """An encoder of `widths`, a softmax layer on top, and its training ops.

    corruption: None for no layer-wise stages, else the masking noise of the
    stages (0 for plain autoencoders).
    """
    net = SimpleNamespace()
    net.x = tf.placeholder(tf.float32, [None, widths[0]], name="x")
    net.y = tf.placeholder(tf.int64, [None], name="y")
    net.phase_train = tf.placeholder(tf.bool, [], name="phase_train")
    h = net.x
    for k, scope in enumerate(scopes):
        with tf.variable_scope(scope):
            h = layer(h, [widths[k], widths[k + 1]], [widths[k + 1]], net.phase_train)
    net.encoder_vars = tf.global_variables()  # what a trained autoencoder can provide
    with tf.variable_scope("softmax"):
        W = tf.get_variable("W", [widths[-1], 10],
                            initializer=tf.random_normal_initializer(stddev=widths[-1] ** -0.5))
        b = tf.get_variable("b", [10], initializer=tf.zeros_initializer())
        logits = tf.matmul(h, W) + b
    net.cost = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=net.y,
                                                                             logits=logits))
    net.error = tf.reduce_mean(tf.cast(tf.not_equal(tf.argmax(logits, 1), net.y), tf.float32))
    net.global_step = tf.Variable(0, name="global_step", trainable=False)
    net.train_op = training(net.cost, net.global_step, lr, name="Adam_fine_tune")
    net.stages = []
    if corruption is not None:
        decoders = [f"pretrain_decoder/{scope.split('/')[-1]}" for scope in scopes]
        net.stages = layerwise_training(net.x, widths, net.phase_train, scopes, decoders,
                                        net.global_step, lr, corruption)
    return net


def run_row(args, mnist, watch, name, corruption=None, encoder_from=None):
    """Pretrains (if asked), fine-tunes and tests one row; returns its results.

    watch: the steps.Steps of the whole comparison; Ctrl-C or NaN ends its block.
    """
    widths, scopes = [784] + args.hidden, [f"encoder/hidden_{k + 1}" for k in range(len(args.hidden))]
    if encoder_from is not None:
        widths = encoder_widths(encoder_from.n_code,
                                encoder_from.config.get("encoder_hidden", ENCODER_HIDDEN))
        scopes = list(ENCODER_SCOPES)
    logdir = os.path.join(args.logdir, name)
    started = time.time()
    val_errors = []
    with tf.Graph().as_default():
        tf.set_random_seed(args.seed)
        net = build_row(widths, scopes, corruption, args.learning_rate)
        saver = tf.train.Saver(max_to_keep=None)
        with tf.Session() as sess, tf.summary.FileWriter(logdir, sess.graph) as writer:
            sess.run(tf.global_variables_initializer())
            if encoder_from is not None:
                tf.train.Saver(net.encoder_vars).restore(sess, encoder_from.prefix)

            def feed(images, labels):
                return {net.x: images, net.y: labels, net.phase_train: True}

            # 1. layer-wise pretraining (SAA, SdA): each layer as a simple autoencoder
            for stage in net.stages:
                watch.label, watch.epoch = f"{name} {stage.name}", 0
                for _ in range(args.pretrain_epochs):
                    train_epoch(sess, watch, stage.train_op, stage.cost, mnist.train,
                                args.batch_size, feed)
            if net.stages:
                saver.save(sess, os.path.join(logdir, "pretrained"), global_step=net.global_step)
            # 2. fine-tuning of the whole network on the labels
            watch.label, watch.epoch = f"{name} fine-tune", 0
            for epoch in range(args.epochs):
                train_epoch(sess, watch, net.train_op, net.cost, mnist.train, args.batch_size, feed)
                val_errors.append(sess.run(net.error, {net.x: mnist.validation.images,
                                                       net.y: mnist.validation.labels,
                                                       net.phase_train: False}))
                writer.add_summary(tf.Summary(value=[tf.Summary.Value(
                    tag="validation_error", simple_value=float(val_errors[-1]))]), epoch + 1)
            test_error = sess.run(net.error, {net.x: mnist.test.images, net.y: mnist.test.labels,
                                              net.phase_train: False})
            saver.save(sess, checkpoints.checkpoint_path(logdir, args.epochs), global_step=net.global_step)
    return SimpleNamespace(name=name, test_error=test_error, val_errors=val_errors,
                           seconds=time.time() - started, widths=widths)


def main(argv=None):
    args = parse_args(argv)
    starts = [reload.load(path, expect=(kinds.AUTOENCODER, kinds.DENOISING_AUTOENCODER))
              for path in args.checkpoints]
    mnist = input_data.read_data_sets(args.data_dir, dataset=args.dataset,
                                      validation_size=args.validation_size, seed=args.seed)
    mnist = mnist._replace(train=input_data.DataSet(mnist.train.images[:args.train_size],
                                                    mnist.train.labels[:args.train_size], args.seed))
    input_data.check_sizes(mnist, args.batch_size)
    total_batch = min(int(mnist.train.num_examples / args.batch_size), args.steps_per_epoch)
    layers = f"{len(args.hidden)} x {args.pretrain_epochs} epochs"
    rows = [("random", None, "none"),
            ("SAA", 0.0, f"stacked autoencoders, {layers}"),
            ("SdA", args.corruption, f"stacked denoising, {layers}, {args.corruption:.0%} masking")]
    rows += [(f"from {m.label}", None, f"the encoder of {m.prefix}") for m in starts]
    print(f"Training on {mnist.train.num_examples} images, validation "
          f"{mnist.validation.num_examples}, test {mnist.test.num_examples}; fine-tuning "
          f"{args.epochs} epochs, Adam {args.learning_rate}, batch {args.batch_size}, seed {args.seed}")
    print(f"{'start':<32} {'encoder':<20} {'pretraining':<44} {'test error':>10} {'time':>8}")
    results = []
    with steps.Steps(total_batch) as watch:
        for i, (name, noise, pretraining) in enumerate(rows):
            start = starts[i - 3] if i >= 3 else None
            result = run_row(args, mnist, watch, name if start is None else f"from_{i - 2}",
                             noise, start)
            results.append(result)
            encoder = "-".join(map(str, result.widths))
            print(f"{name:<32} {encoder:<20} {pretraining:<44} {result.test_error:>10.2%} "
                  f"{result.seconds:>7.1f}s")
    if watch.stopped:
        return steps.ending(watch, f"row {name}", "the rows above are complete")

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for result in results:
        ax.plot(range(1, len(result.val_errors) + 1), np.array(result.val_errors) * 100,
                marker="o", label=result.name)
    ax.set_xlabel("fine-tuning epoch")
    ax.set_ylabel("validation error (%)")
    ax.set_title("Classifier from random, SAA and SdA starts")
    ax.grid(True, alpha=0.3)
    ax.legend()
    figures.finish_figure(fig, os.path.join(args.logdir, FIGURE_FILE), save=args.save,
                          no_show=args.no_show)
    return 0


if __name__ == "__main__":
    cli.run(main)
