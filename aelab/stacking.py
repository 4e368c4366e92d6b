"""Stacked autoencoders: training a deep network's layers one at a time (slides 이론 II).

Beyond the lab. Each encoder layer, with the decoder layer that mirrors it,
is trained as a simple autoencoder on the codes of the layers below it
(which stay fixed); then the whole network is trained (fine-tuned). Used by
the training scripts' `--pretrain layerwise`, whose loop asks a `Schedule`
which training op each epoch runs, and by stacked_autoencoder_classifier.py,
whose epochs run through `train_epoch` here.
"""

import tensorflow.compat.v1 as tf

from aelab import LabError, argtypes
from aelab.model import layer, loss, masking_noise, n_input, training
from aelab.record import WHOLE_NETWORK

# Encoder layer k and the decoder layer that mirrors it, in the lab model's scopes
ENCODER_SCOPES = ("encoder/hidden_1", "encoder/hidden_2", "encoder/hidden_3", "encoder/code")
DECODER_SCOPES = ("decoder/output", "decoder/hidden_3", "decoder/hidden_2", "decoder/hidden_1")
PRETRAIN_EPOCHS = 5  # per layer, with --pretrain layerwise


class Stage:
    """Stage `number` of layer-wise training: encoder layer n_in-n_out, its cost, training op
    and train_cost summary (tagged layerwise_<number>/train_cost)."""

    def __init__(self, number, n_in, n_out, cost, train_op, summary_op):
        self.number, self.n_in, self.n_out = number, n_in, n_out
        self.cost, self.train_op, self.summary_op = cost, train_op, summary_op
        self.name = f"layer {number}"


def encoder_widths(n_code, hidden):
    """Widths of the lab encoder's input and layers: [784, *hidden, n_code]."""
    return [n_input, *hidden, n_code]


def layerwise_stage(x, widths, stage, phase_train, encoder_scopes, decoder_scopes, noise=0.0):
    """One stage of layer-wise training, as a simple autoencoder.

    Encoder layer `stage` (1-based) learns to code the output of the layers
    below it, which stay fixed (inference mode, no gradient), and a decoder
    layer learns to give that output back. Variables are shared with the
    whole network through their scopes, so a later stage and the fine-tuning
    start from what this stage learnt.

    Args:
      x: (batch, widths[0]) input images.
      widths: [n_input, n_1, ..., n_top]: the encoder's input and layer widths.
      stage: which layer to train, 1 to len(widths) - 1.
      phase_train: scalar bool tensor for the two trained layers.
      encoder_scopes, decoder_scopes: variable scope of each encoder layer and of
        the decoder layer that mirrors it (same order).
      noise: masking noise on the stage's input (0 for a plain autoencoder).

    Returns:
      target: (batch, widths[stage - 1]) the stage input, uncorrupted.
      output: (batch, widths[stage - 1]) its reconstruction.
      var_list: the variables this stage trains.
    """
    fixed = tf.constant(False)
    h = x
    for k in range(stage - 1):
        with tf.variable_scope(encoder_scopes[k], reuse=tf.AUTO_REUSE):
            h = layer(h, [widths[k], widths[k + 1]], [widths[k + 1]], fixed)
    target = tf.stop_gradient(h)
    stage_input = masking_noise(target, noise) if noise else target
    n_in, n_out = widths[stage - 1], widths[stage]
    with tf.variable_scope(encoder_scopes[stage - 1], reuse=tf.AUTO_REUSE) as enc:
        code = layer(stage_input, [n_in, n_out], [n_out], phase_train)
    with tf.variable_scope(decoder_scopes[stage - 1], reuse=tf.AUTO_REUSE) as dec:
        output = layer(code, [n_out, n_in], [n_in], phase_train)
    var_list = tf.trainable_variables(enc.name + "/") + tf.trainable_variables(dec.name + "/")
    return target, output, var_list


def layerwise_training(x, widths, phase_train, encoder_scopes, decoder_scopes, global_step,
                       learning_rate=0.001, noise=0.0, loss_scale=1.0):
    """Every stage of layer-wise training, each with its own loss and Adam step.

    Args: as layerwise_stage, plus the global_step that each training op
    increments, the learning rate and model.training's loss_scale.

    Returns:
      one Stage per encoder layer, bottom first; its cost is the stage's mean
      per-image L2 reconstruction error of its input.
    """
    stages = []
    for stage in range(1, len(encoder_scopes) + 1):
        with tf.name_scope(f"layerwise_{stage}"):
            target, output, var_list = layerwise_stage(x, widths, stage, phase_train,
                                                       encoder_scopes, decoder_scopes, noise)
            cost, _ = loss(output, target)
            train_op = training(cost, global_step, learning_rate, var_list,
                                name=f"Adam_layerwise_{stage}", loss_scale=loss_scale)
            summary_op = tf.summary.scalar("train_cost", cost)
        stages.append(Stage(stage, widths[stage - 1], widths[stage], cost, train_op, summary_op))
    return stages


def train_epoch(sess, steps, train_op, cost, train_set, batch_size, feed):
    """One epoch of train_op over train_set; returns its mean cost.

    steps: the aelab.steps.Steps watching this loop (it ends its block on
    Ctrl-C or NaN); feed: (minibatch_x, minibatch_y) -> feed_dict.
    """
    total_cost = 0.0
    for _ in range(steps.total_batch):
        minibatch_x, minibatch_y = train_set.next_batch(batch_size)
        _, new_cost = sess.run([train_op, cost], feed_dict=feed(minibatch_x, minibatch_y))
        total_cost += new_cost
        steps.step_done(new_cost)
    return total_cost / steps.total_batch


# ------------------------------------------- --pretrain layerwise on the training scripts

def add_pretrain_arguments(parser):
    """Adds --pretrain and --pretrain-epochs to a training script's options."""
    n = len(ENCODER_SCOPES)
    group = parser.add_argument_group("layer-wise training (slides 이론 II: stacked autoencoders)")
    group.add_argument("--pretrain", choices=["none", "layerwise"], default="none",
                       help="layerwise: first train each encoder layer with its mirror decoder "
                            "layer as a simple autoencoder on the codes of the layers below "
                            "(784-1000, then 1000-500, ...), then the whole network "
                            "(default: none, the whole network from the start)")
    group.add_argument("--pretrain-epochs", type=argtypes.positive_int, default=PRETRAIN_EPOCHS,
                       metavar="N",
                       help=f"epochs for each of the {n} layers with --pretrain layerwise "
                            f"(default: {PRETRAIN_EPOCHS})")
    return group


def check_schedule(parser, args):
    """parser.error unless the layer-wise epochs leave some for the whole network."""
    n = len(ENCODER_SCOPES)
    if args.pretrain == "layerwise" and args.epochs <= n * args.pretrain_epochs:
        parser.error(f"--epochs {args.epochs} leaves no epoch for the whole network after "
                     f"{n} x --pretrain-epochs {args.pretrain_epochs}; ask for more than "
                     f"{n * args.pretrain_epochs}")


class Schedule:
    """Which ops each epoch of a training script trains: with --pretrain layerwise, each
    layer in turn for --pretrain-epochs epochs, then the whole network; else the whole network.

    whole: the whole network's (train_op, cost, train_summary_op); stages: the
    layer-wise Stages, bottom first; per_stage: epochs of each.
    """

    def __init__(self, whole, stages=(), per_stage=PRETRAIN_EPOCHS):
        self.whole, self.stages, self.per_stage = whole, list(stages), per_stage
        self._current = self._started = None

    def stage(self, epoch):
        """The Stage that epoch (0-based) trains, or None for the whole network."""
        index = epoch // self.per_stage
        return self.stages[index] if index < len(self.stages) else None

    def name(self, epoch):
        """What record.csv calls the stage of epoch: "layer 2", "whole network"."""
        stage = self.stage(epoch)
        return WHOLE_NETWORK if stage is None else stage.name

    def ops(self, epoch):
        """(train_op, cost, train_summary_op) for epoch, saying so when a new stage begins."""
        stage = self.stage(epoch)
        if not self._started or stage is not self._current:
            self._announce(stage, epoch)
        self._started, self._current = True, stage
        return self.whole if stage is None else (stage.train_op, stage.cost, stage.summary_op)

    def _announce(self, stage, epoch):
        if stage is None:
            if self.stages:
                print(f"Whole network from epoch {epoch + 1}")
            return
        first = epoch // self.per_stage * self.per_stage
        last = first + self.per_stage
        when = f"epochs {first + 1}-{last}" if last > first + 1 else f"epoch {last}"
        print(f"Layer-wise stage {stage.number} of {len(self.stages)}, {when}: "
              f"{ENCODER_SCOPES[stage.number - 1]} ({stage.n_in}-{stage.n_out}) with "
              f"{DECODER_SCOPES[stage.number - 1]}; cost = its reconstruction error of its input")


def lab_schedule(args, x, phase_train, global_step, encoder_hidden, decoder_hidden, whole,
                 loss_scale=1.0):
    """The Schedule of a training script's epochs: its whole network's ops, and with
    --pretrain layerwise the lab model's layer-wise stages first.

    The denoising autoencoder's stages corrupt their input at its --corruption
    level (stacked denoising autoencoders); loss_scale: as the whole network's
    (float16 on a GPU with --precision mixed).
    """
    if args.pretrain != "layerwise":
        return Schedule(whole)
    widths = encoder_widths(args.n_code, encoder_hidden)
    if list(decoder_hidden) != widths[-2:0:-1]:
        raise LabError(f"--pretrain layerwise needs the decoder to mirror the encoder; the "
                       f"architecture has encoder {widths[1:-1]} and decoder {list(decoder_hidden)}")
    stages = layerwise_training(x, widths, phase_train, ENCODER_SCOPES, DECODER_SCOPES,
                                global_step, args.learning_rate, args.corruption or 0.0, loss_scale)
    return Schedule(whole, stages, args.pretrain_epochs)
