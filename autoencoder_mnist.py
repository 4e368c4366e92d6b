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
command resumes. The file reads in the slides' order: the # Architecture and
# Parameters blocks, the model, the training loop, then the command-line
options. The functions layer, encoder, decoder, loss, training and evaluate
are the slides', defined once in aelab/model.py; the bookkeeping around the
loop (folder, resume, record, stop) is aelab/runs.py's Run.

`train` below serves every kind of model (aelab/kinds.py): the denoising
autoencoder's script hands it its model, and so do the scripts past the slides
(conv_autoencoder_mnist.py, sparse_autoencoder_mnist.py,
variational_autoencoder_mnist.py). The kind says which loss and validation
measure it trains with, what its run records, and whether --pretrain
layerwise applies; a cost with parts (a VAE's reconstruction and KL) prints
them beside the cost on the same lines.
"""

import aelab.quiet_tensorflow  # TensorFlow starts without its start-up lines, in graph mode

import argparse
import os

import tensorflow.compat.v1 as tf

from aelab import LabError, argtypes, cli, figures, input_data, kinds, record, runs, stacking
from aelab.model import (  # noqa: F401  (imported by name, as the original code had them here)
    LOSSES,
    corrupt_input,
    decoder,
    encoder,
    evaluate,
    image_summary,
    layer,
    layer_batch_norm,
    loss,
    training,
)
from aelab.precision import Precision

# Architecture
n_encoder_hidden_1 = 1000
n_encoder_hidden_2 = 500
n_encoder_hidden_3 = 250
n_decoder_hidden_1 = 250
n_decoder_hidden_2 = 500
n_decoder_hidden_3 = 1000
encoder_hidden = (n_encoder_hidden_1, n_encoder_hidden_2, n_encoder_hidden_3)
decoder_hidden = (n_decoder_hidden_1, n_decoder_hidden_2, n_decoder_hidden_3)

# Parameters (each one a command-line option)
learning_rate = 0.001  # Adam's, as the slides' code runs it (the slide's 0.01 was never used)
training_epochs = 1000
batch_size = 100


def autoencoder(x, n_code, phase_train, loss=loss):
    """신경망 모델 구성: x -> encoder -> code -> decoder -> output, and the loss against x.

    loss: the slides' (model.loss), or the cross-entropy with --loss cross-entropy.

    Returns:
      output, cost, train_summary_op.
    """
    code = encoder(x, n_code, phase_train, encoder_hidden)
    output = decoder(code, n_code, phase_train, decoder_hidden)
    cost, train_summary_op = loss(output, x)
    return output, cost, train_summary_op


def train(args, model):
    """모델 학습시키기: the slides' data, graph and loop around `model`, a function (x, n_code,
    phase_train, loss) -> (output, cost, train_summary_op) of args.kind (`autoencoder`, say)."""
    learning_rate, training_epochs, batch_size = args.learning_rate, args.epochs, args.batch_size
    loss, evaluate = args.kind.losses(args)  # noqa: F811  (the slides' L2, --loss, a VAE's ELBO)
    precision = Precision(args.precision)  # float32, or mixed where the machine gains by it
    mnist = input_data.read_data_sets(args.data_dir, one_hot=True, dataset=args.dataset,
                                      validation_size=args.validation_size, seed=args.seed)
    input_data.check_sizes(mnist, batch_size)  # sizes that cannot train: one line, no traceback
    total_batch = min(int(mnist.train.num_examples / batch_size), args.steps_per_epoch)
    # the run folder: refuses another model's folder, resumes, records, ends with a message
    run = runs.Run.from_args(args, args.kind, total_batch, **args.architecture,
                             precision=precision.name)
    with tf.Graph().as_default():
        tf.set_random_seed(args.seed)
        x = tf.placeholder(tf.float32, name="x", shape=[None, 784])
        phase_train = tf.placeholder(tf.bool, name="phase_train", shape=[])
        output, cost, train_summary_op = model(x, args.n_code, phase_train, loss)
        global_step = tf.Variable(0, name="global_step", trainable=False)
        train_op = training(cost, global_step, learning_rate, loss_scale=precision.loss_scale)
        eval_op, in_im_op, out_im_op, val_summary_op = evaluate(output, x)
        # --pretrain layerwise (이론 II): each encoder layer first, as a simple autoencoder
        pretraining = stacking.Pretraining(args, x, phase_train, global_step, encoder_hidden,
                                           decoder_hidden, precision.loss_scale)
        saver = tf.train.Saver(max_to_keep=None)  # checkpoints.retain decides which ones stay
        with tf.Session(config=precision.config) as sess, run:
            sess.run(tf.global_variables_initializer())
            start_epoch = run.resume(sess, saver)  # the newest checkpoint over the initial values
            train_writer, val_writer = run.summary_writers()  # DIR/train, DIR/validation
            # --pretrain layerwise: the layer-wise epochs first, saved and recorded as the loop's
            start_epoch = pretraining.train(run, mnist, start_epoch,
                                            [eval_op, in_im_op, out_im_op, val_summary_op])
            # Training cycle
            for epoch in range(start_epoch, training_epochs):
                avg_cost = 0.
                for i in range(total_batch):
                    minibatch_x, minibatch_y = mnist.train.next_batch(batch_size)
                    _, new_cost, train_summary = sess.run(
                        [train_op, cost, train_summary_op],
                        feed_dict={x: minibatch_x, phase_train: True})
                    train_writer.add_summary(train_summary, sess.run(global_step))
                    avg_cost += new_cost / total_batch
                    run.step_done(new_cost, train_summary)  # progress; Ctrl-C or NaN ends the `with`
                print("Epoch:", "%04d" % (epoch + 1), "cost =", "{:.9f}".format(avg_cost)
                      + run.parts.epoch_note)  # the cost's parts, where it has some (a VAE's KL)
                validation_loss, in_im, out_im, val_summary = run.evaluate(  # in batches
                    [eval_op, in_im_op, out_im_op, val_summary_op],
                    feed_dict={x: mnist.validation.images, phase_train: False})
                for summary in (in_im, out_im, val_summary):
                    val_writer.add_summary(summary, sess.run(global_step))
                print("Validation Loss:", str(validation_loss) + run.note)
                saver.save(sess, os.path.join(run.logdir, "model-checkpoint-%04d" % (epoch + 1)),
                           global_step=global_step)
                run.epoch_done(epoch + 1, avg_cost, validation_loss)  # record.csv; old checkpoints go

            print("Optimization Finished!")
            test_loss = run.evaluate(eval_op,  # in batches, as above
                                     feed_dict={x: mnist.test.images, phase_train: False})
            print("Test Loss:", str(test_loss) + run.note)
    return run.finish()  # the loss curve, and how the run ended: its exit status


def parse_args(argv, kind=kinds.AUTOENCODER, shape="784-1000-500-250-N_CODE", options=None,
               architecture=None, n_code=None, corrupted=None):
    """The options of a script training `kind` through `train`.

    shape: the model's in its description; options: adds the kind's own options to a group;
    architecture: what the run records of its layers (default: the # Architecture block's,
    read now); n_code: N_CODE's default, where it may be left out; corrupted: the kind that
    --corruption NU trains instead (the convolutional denoising autoencoder).
    """
    parser = argparse.ArgumentParser(
        description=f"Train the {kind.title} ({shape}) on MNIST. "
                    "Ctrl-C stops after the current step; the same command resumes.")
    parser.add_argument("n_code", metavar="N_CODE", type=argtypes.positive_int,
                        nargs="?" if n_code else None, default=n_code,
                        help="size of the code, the encoder's last layer "
                             + (f"(default: {n_code})" if n_code else "(the slides use 2)"))
    cli.add_training_arguments(parser, training_epochs, batch_size, learning_rate, resumes=True)
    group = runs.add_run_arguments(parser, corrupted or kind, "N_CODE")
    group.add_argument("--precision", choices=["float32", "mixed"], default="float32",
                       help="mixed: bfloat16 matrix products on a CPU that has bfloat16 "
                            "instructions, float16 on a GPU; variables and checkpoints stay "
                            "float32 (default: float32, the slides' numbers)")
    group = parser.add_argument_group("what it learns (slides 이론)")
    if kind.learns.get("loss") == "l2":
        group.add_argument("--loss", choices=sorted(LOSSES), default="l2",
                           help="reconstruction loss: the per-image L2 distance of the lab, or the "
                                "cross-entropy H(x || output) of the theory (default: l2)")
    parser.set_defaults(loss=kind.learns.get("loss"), corruption=None)
    if kind.corrupted or corrupted:
        group.add_argument("--corruption", type=argtypes.probability, metavar="NU",
                           default=None if corrupted else 0.5,
                           help="share of the pixels zeroed by the masking noise (default: "
                                + ("none: the plain model; 0.5 is corrupt_input's)" if corrupted
                                   else "0.5, corrupt_input's; the slides' results use 0.1, "
                                        "0.25 and 0.4)"))
    if options:
        options(group)
    if kind.layerwise:
        stacking.add_pretrain_arguments(parser)
    else:  # not in its help; refused below in one line
        parser.add_argument("--pretrain", default="none", help=argparse.SUPPRESS)
        parser.set_defaults(pretrain_epochs=stacking.PRETRAIN_EPOCHS)
    figures.add_figure_arguments(parser, f"DIR/{record.LOSS_CURVE_FILE}")
    args = parser.parse_args(argv)
    args.kind = corrupted if corrupted and args.corruption is not None else kind
    args.architecture = (dict(encoder_hidden=encoder_hidden, decoder_hidden=decoder_hidden)
                         if architecture is None else architecture)
    args.logdir = args.logdir or args.kind.default_logdir(args.n_code)
    runs.use_recorded_data(args)  # a resume with no data option: the run's own data
    if args.pretrain != "none" and not kind.layerwise:
        raise LabError(f"--pretrain {args.pretrain} trains the dense autoencoders' layers one at "
                       f"a time; the {kind.title} has no such stack (leave --pretrain out)")
    stacking.check_pretrain(parser, args)
    return args


def main(argv=None):
    return train(parse_args(argv), autoencoder)


if __name__ == "__main__":
    cli.run(main)
