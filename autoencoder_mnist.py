"""Deep autoencoder on MNIST (KCC 2019 lab, slide "Deep autoencoder").

    python autoencoder_mnist.py 2

trains the 784-1000-500-250-2 autoencoder of the slides (batch norm, sigmoid,
per-image L2 loss, Adam), printing per epoch

    Epoch: 0001 cost = 11.684345055
    Validation Loss: 9.885018

and writing into mnist_autoencoder_hidden=2_logs/: a checkpoint per epoch
(model-checkpoint-<epoch>-<step>, the latest few and milestone epochs kept),
what a reload needs (model_config.json), TensorBoard events (train/,
validation/), record.csv and loss_curve.png. Ctrl-C stops cleanly; the same
command resumes. denoising_autoencoder_mnist.py runs this same driver with its
input corrupted.
"""

import argparse
import csv
import os
import sys
import time

import numpy as np
import tensorflow.compat.v1 as tf

from aelab import LabError, checkpoints, cli, figures, input_data
# The slides' model functions, defined once in aelab/model.py and imported by
# name, so `import autoencoder_mnist as ae; ae.encoder(...)` works as before.
from aelab.model import (  # noqa: F401
    AUTOENCODER, DECODER_SCOPES, DENOISING_AUTOENCODER, ENCODER_SCOPES, TRAINED_BY,
    build_autoencoder, corrupt_input, decoder, encoder, encoder_widths, evaluate, image_summary,
    layer, layer_batch_norm, layerwise_training, load_config, loss, save_config, training)

# 옵션 설정: the slides' parameters (each one a command-line option)
training_epochs = 1000
batch_size = 100
learning_rate = 0.001  # Adam's rate, as the slides' code runs it
summary_every = 100    # training steps between two train_cost summaries
pretrain_epochs = 5    # epochs per layer with --pretrain layerwise

RECORD_FILE = "record.csv"
RECORD_FIELDS = ["epoch", "global_step", "train_cost", "val_loss", "seconds", "train_seconds",
                 "stage"]
WHOLE_NETWORK = "whole network"
N_STAGES = len(ENCODER_SCOPES)
LOSS_CURVE_FILE = "loss_curve.png"


def default_logdir(n_code, denoising):
    return f"{'dn_' if denoising else ''}mnist_autoencoder_hidden={n_code}_logs"


def parse_args(argv, denoising):
    what = "denoising autoencoder" if denoising else "deep autoencoder"
    parser = argparse.ArgumentParser(
        description=f"Train the slides' {what} (784-1000-500-250-N_CODE) on MNIST. "
                    "Ctrl-C stops after the current step; the same command resumes.")
    parser.add_argument("n_code", metavar="N_CODE", type=cli.positive_int,
                        help="size of the code, the encoder's last layer (the slides use 2)")
    cli.add_training_arguments(parser, training_epochs, batch_size, learning_rate)
    group = parser.add_argument_group("outputs")
    group.add_argument("--logdir", metavar="DIR", default=None,
                       help=f"run folder (default: {default_logdir('N_CODE', denoising)})")
    group.add_argument("--restart", action="store_true",
                       help="start over instead of resuming; an earlier run in the folder is "
                            "moved aside to DIR.<date-time>, not deleted")
    group.add_argument("--summary-every", type=cli.positive_int, default=summary_every,
                       metavar="N", help=f"steps between training-cost summaries "
                                         f"(default: {summary_every})")
    group = parser.add_argument_group("layer-wise training (slides 이론 II: stacked autoencoders)")
    group.add_argument("--pretrain", choices=["none", "layerwise"], default="none",
                       help="layerwise: first train each encoder layer with its mirror decoder "
                            "layer as a simple autoencoder on the codes of the layers below "
                            "(784-1000, then 1000-500, ...), then the whole network "
                            "(default: none, the whole network from the start)")
    group.add_argument("--pretrain-epochs", type=cli.positive_int, default=pretrain_epochs,
                       metavar="N", help=f"epochs for each of the {N_STAGES} layers with "
                                         f"--pretrain layerwise (default: {pretrain_epochs})")
    figures.add_figure_arguments(parser, f"DIR/{LOSS_CURVE_FILE}")
    args = parser.parse_args(argv)
    args.logdir = args.logdir or default_logdir(args.n_code, denoising)
    if args.pretrain == "layerwise" and args.epochs <= N_STAGES * args.pretrain_epochs:
        parser.error(f"--epochs {args.epochs} leaves no epoch for the whole network after "
                     f"{N_STAGES} x --pretrain-epochs {args.pretrain_epochs}; ask for more than "
                     f"{N_STAGES * args.pretrain_epochs}")
    return args


def stage_of(args, epoch):
    """1-4 while epoch (0-based) belongs to layer-wise stage k, else 0: the whole network."""
    if args.pretrain == "layerwise" and epoch < N_STAGES * args.pretrain_epochs:
        return epoch // args.pretrain_epochs + 1
    return 0


def stage_name(stage):
    return f"layer {stage}" if stage else WHOLE_NETWORK


def prepare_logdir(args, model_name):
    """Makes the run folder ready; returns the checkpoint to resume from, or None."""
    logdir = args.logdir
    if args.restart and os.path.exists(logdir):
        aside = f"{logdir.rstrip(os.sep)}.{time.strftime('%Y%m%d-%H%M%S')}"
        os.rename(logdir, aside)
        print(f"Moved the earlier run to {aside}", file=sys.stderr)
    os.makedirs(logdir, exist_ok=True)
    found = checkpoints.list_checkpoints(logdir)
    if not found:
        return None
    try:
        config = load_config(logdir)
    except ValueError as e:
        raise LabError(str(e)) from None
    if config is None or config["model"] != model_name or config["n_code"] != args.n_code:
        held = (f"a run of {TRAINED_BY[config['model']]} with N_CODE {config['n_code']}" if config
                else "checkpoints of an unknown model")
        raise LabError(f"{logdir} holds {held}, not of {TRAINED_BY[model_name]} with N_CODE "
                       f"{args.n_code}; choose another --logdir, or --restart to move that run aside")
    schedule = (config.get("pretrain", "none"), config.get("pretrain_epochs", args.pretrain_epochs))
    if schedule != (args.pretrain, args.pretrain_epochs):
        raise LabError(f"{logdir} was trained with --pretrain {schedule[0]} --pretrain-epochs "
                       f"{schedule[1]}; resume with the same, or --restart to move that run aside")
    return found[-1]


def read_record(logdir, up_to_epoch):
    """The record's rows for epochs 1..up_to_epoch (later rows belong to lost epochs)."""
    path = os.path.join(logdir, RECORD_FILE)
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return [row for row in csv.DictReader(f) if int(row["epoch"]) <= up_to_epoch]


def write_record(logdir, rows):
    path = os.path.join(logdir, RECORD_FILE)
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, RECORD_FIELDS)
        writer.writeheader()
        writer.writerows(rows)


def append_record(logdir, row):
    with open(os.path.join(logdir, RECORD_FILE), "a", newline="") as f:
        csv.DictWriter(f, RECORD_FIELDS).writerow(row)


def write_loss_curve(args, rows, title, show=False):
    """Draws the record as the slides' loss curve into the run folder (and --save)."""
    if not rows:
        return
    fig = figures.loss_curve([int(r["epoch"]) for r in rows],
                             [float(r["train_cost"]) for r in rows],
                             [float(r["val_loss"]) for r in rows], title,
                             [r.get("stage") or WHOLE_NETWORK for r in rows])
    figures.save_figure(fig, os.path.join(args.logdir, LOSS_CURVE_FILE))
    if args.save:
        figures.save_figure(fig, args.save)
    if show and not args.no_show and figures.has_display():
        figures.plt.show()
    figures.plt.close(fig)


def build_graph(n_code, denoising, learning_rate, layerwise=False):
    """신경망 모델 구성: x -> (corrupt) -> encoder -> code -> decoder -> output.

    Adds the model, its loss against the clean x, the Adam step and the
    evaluation ops to the default graph; returns them in one namespace. With
    layerwise, net.stages also holds, for each encoder layer, the cost and
    training op of its layer-wise stage (the denoising model corrupts each
    stage's input, as stacked denoising autoencoders do).
    """
    net = build_autoencoder(n_code, denoising)
    net.cost, net.train_summary_op = loss(net.output, net.x)
    net.global_step = tf.Variable(0, name="global_step", trainable=False)
    net.train_op = training(net.cost, net.global_step, learning_rate)
    net.eval_op, net.in_im_op, net.out_im_op, net.val_summary_op = evaluate(net.output, net.x)
    net.stages = layerwise_training(
        net.x, encoder_widths(n_code), net.phase_train, ENCODER_SCOPES, DECODER_SCOPES,
        net.global_step, learning_rate, net.drop_prob if denoising else None) if layerwise else []
    return net


def train_epoch(sess, net, train_set, feed, steps, batch_size, step_value, summary_every,
                train_writer, progress, stop):
    """신경망 모델 학습: one epoch of the slides' loop.

    Each step feeds a batch (and its labels, for a net with a `y` placeholder,
    as the classifier of stacked_autoencoder_classifier.py has) and runs the
    training step; every summary_every-th global step also writes the summary.

    Returns:
      (avg_cost, or the bad cost when it diverged; global step; steps done;
       "finished", "interrupted" or "diverged").
    """
    avg_cost = 0.0
    for i in range(steps):
        minibatch_x, minibatch_y = train_set.next_batch(batch_size)
        feed[net.x] = minibatch_x
        if getattr(net, "y", None) is not None:
            feed[net.y] = minibatch_y
        step_value += 1
        if step_value % summary_every == 0:
            _, new_cost, train_summary = sess.run(
                [net.train_op, net.cost, net.train_summary_op], feed_dict=feed)
            train_writer.add_summary(train_summary, step_value)
        else:
            _, new_cost = sess.run([net.train_op, net.cost], feed_dict=feed)
        if not np.isfinite(new_cost):
            return new_cost, step_value, i + 1, "diverged"
        avg_cost += new_cost / steps
        progress.update(i + 1, avg_cost * steps / (i + 1))
        if stop.requested:
            return avg_cost, step_value, i + 1, "interrupted"
    return avg_cost, step_value, steps, "finished"


def announce_stage(args, stage):
    """Says which part of the network the coming epochs train (layer-wise runs only)."""
    if args.pretrain != "layerwise":
        return
    if stage:
        first = (stage - 1) * args.pretrain_epochs + 1
        widths = encoder_widths(args.n_code)
        last = first + args.pretrain_epochs - 1
        when = f"epochs {first}-{last}" if last > first else f"epoch {first}"
        print(f"Layer-wise stage {stage} of {N_STAGES}, {when}: "
              f"{ENCODER_SCOPES[stage - 1]} ({widths[stage - 1]}-{widths[stage]}) with "
              f"{DECODER_SCOPES[stage - 1]}; cost = its reconstruction error of its input")
    else:
        print(f"Whole network from epoch {N_STAGES * args.pretrain_epochs + 1}")


def main(argv=None, denoising=False):
    args = parse_args(argv, denoising)
    model_name = DENOISING_AUTOENCODER if denoising else AUTOENCODER
    resume_from = prepare_logdir(args, model_name)
    mnist = cli.read_data(args)
    total_batch = cli.steps_per_epoch(args, mnist.train.num_examples)
    title = f"{'Denoising' if denoising else 'Deep'} autoencoder, N_CODE={args.n_code}: loss by epoch"

    with tf.Graph().as_default():
        if args.seed is not None:
            tf.set_random_seed(args.seed)
        net = build_graph(args.n_code, denoising, args.learning_rate, args.pretrain == "layerwise")
        saver = tf.train.Saver(max_to_keep=None)  # checkpoints.retain() decides what stays

        # The denoising autoencoder sees corrupted input in training and in its
        # validation and test losses; the plain one has no such toggle.
        train_feed = {net.phase_train: True}
        eval_feed = {net.phase_train: False}
        if denoising:
            train_feed[net.corrupt] = eval_feed[net.corrupt] = 1.0
        eval_note = " (input corrupted, as in training)" if denoising else ""

        with tf.Session() as sess:
            if resume_from:
                saver.restore(sess, resume_from)
                start_epoch, step_value = checkpoints.parse(resume_from)
                print(f"Resuming from {resume_from} (epoch {start_epoch}, step {step_value})")
            else:
                sess.run(tf.global_variables_initializer())
                start_epoch, step_value = 0, 0
            rows = read_record(args.logdir, start_epoch)
            write_record(args.logdir, rows)
            save_config(args.logdir, model_name, args.n_code, learning_rate=args.learning_rate,
                        batch_size=args.batch_size,
                        dataset=input_data.dataset_name(args.dataset, args.data_dir),
                        data_dir=os.path.abspath(args.data_dir) if args.data_dir else None,
                        validation_size=args.validation_size, pretrain=args.pretrain,
                        pretrain_epochs=args.pretrain_epochs)
            train_writer = tf.summary.FileWriter(os.path.join(args.logdir, "train"),
                                                 graph=None if resume_from else sess.graph)
            val_writer = tf.summary.FileWriter(os.path.join(args.logdir, "validation"))
            last_checkpoint = resume_from
            outcome = "finished"

            with cli.StopOnInterrupt() as stop:
                for epoch in range(start_epoch, args.epochs):
                    stage = stage_of(args, epoch)
                    if epoch == start_epoch or stage != stage_of(args, epoch - 1):
                        announce_stage(args, stage)
                    started = time.time()
                    progress = cli.Progress(total_batch, f"Epoch {epoch + 1:04d}")
                    avg_cost, step_value, steps_done, outcome = train_epoch(
                        sess, net.stages[stage - 1] if stage else net, mnist.train, train_feed,
                        total_batch, args.batch_size, step_value, args.summary_every,
                        train_writer, progress, stop)
                    train_seconds = time.time() - started
                    progress.close()
                    if outcome != "finished":
                        break
                    print("Epoch:", "%04d" % (epoch + 1), "cost =", "{:.9f}".format(avg_cost))

                    eval_feed[net.x] = mnist.validation.images
                    val_loss, in_im, out_im, val_summary = sess.run(
                        [net.eval_op, net.in_im_op, net.out_im_op, net.val_summary_op],
                        feed_dict=eval_feed)
                    for summary in (in_im, out_im, val_summary):
                        val_writer.add_summary(summary, step_value)
                    print(f"Validation Loss: {val_loss!s}{eval_note}")

                    last_checkpoint = saver.save(sess, checkpoints.save_path(args.logdir, epoch + 1),
                                                 global_step=step_value)
                    checkpoints.retain(args.logdir)
                    row = dict(epoch=epoch + 1, global_step=step_value, train_cost=f"{avg_cost:.9f}",
                               val_loss=f"{val_loss:.7g}", seconds=f"{time.time() - started:.3f}",
                               train_seconds=f"{train_seconds:.3f}", stage=stage_name(stage))
                    append_record(args.logdir, row)
                    rows.append(row)
                    if stop.requested:
                        outcome, steps_done = "interrupted", total_batch
                        break
            train_writer.close()
            val_writer.close()

            if outcome != "finished":
                write_loss_curve(args, rows, title)
                where = last_checkpoint or "none: no epoch finished"
                if outcome == "diverged":
                    print(f"error: the cost became {avg_cost} in epoch {epoch + 1}; training stopped. "
                          f"Last good checkpoint: {where}. Try a lower --learning-rate, "
                          f"or --restart.", file=sys.stderr)
                    return 1
                cut_short = (f"epoch {epoch + 1} was cut short at step {steps_done} of {total_batch}; "
                             if steps_done < total_batch else "")
                print(f"Interrupted: {cut_short}last checkpoint: {where}. "
                      f"Run the same command to resume.", file=sys.stderr)
                return 130
            if start_epoch >= args.epochs:
                print(f"{args.logdir} already holds {start_epoch} epochs (--epochs {args.epochs}); "
                      f"nothing to train. Use a larger --epochs to go on.", file=sys.stderr)
            print("Optimization Finished!")

            # 결과 확인: the loss on the test set, with the moving averages of batch norm
            eval_feed[net.x] = mnist.test.images
            test_loss = sess.run(net.eval_op, feed_dict=eval_feed)
            print(f"Test Loss: {test_loss!s}{eval_note}")
    write_loss_curve(args, rows, title, show=True)
    return 0


if __name__ == "__main__":
    cli.run(main)
