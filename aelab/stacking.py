"""Stacked autoencoders: training a deep network's layers one at a time (slides 이론 II).

Beyond the lab. Each encoder layer, with the decoder layer that mirrors it,
is trained as a simple autoencoder on the codes of the layers below it
(which stay fixed); then the whole network is trained (fine-tuned). Used by
the training scripts' `--pretrain layerwise` (`Pretraining`, which trains
the stages before the slides' loop begins), and by
stacked_autoencoder_classifier.py, whose epochs run through `train_epoch` here.
"""

import tensorflow.compat.v1 as tf

from aelab import LabError, argtypes, checkpoints
from aelab.model import layer, loss, masking_noise, n_input, training

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


def train_epoch(sess, steps, train_op, cost, train_set, batch_size, feed, summary=None):
    """One epoch of train_op over train_set; returns its mean cost.

    steps: the aelab.steps.Steps (or runs.Run) watching this loop (it ends its
    block on Ctrl-C or NaN); feed: (minibatch_x, minibatch_y) -> feed_dict;
    summary: (summary op, writer, global_step), to write the op's value at
    every step's global step, as the slides' loop does.
    """
    total_cost = 0.0
    fetches = [train_op, cost] + ([summary[0]] if summary else [])
    for _ in range(steps.total_batch):
        minibatch_x, minibatch_y = train_set.next_batch(batch_size)
        _, new_cost, *written = sess.run(fetches, feed_dict=feed(minibatch_x, minibatch_y))
        if summary:
            summary[1].add_summary(written[0], sess.run(summary[2]))
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


def check_pretrain(parser, args):
    """parser.error unless the layer-wise epochs leave some for the whole network."""
    n = len(ENCODER_SCOPES)
    if args.pretrain == "layerwise" and args.epochs <= n * args.pretrain_epochs:
        parser.error(f"--epochs {args.epochs} leaves no epoch for the whole network after "
                     f"{n} x --pretrain-epochs {args.pretrain_epochs}; ask for more than "
                     f"{n * args.pretrain_epochs}")


def decoder_scopes():
    """The lab decoder's scopes from its output layer down, as the graph names them.

    The kit names the output layer's scope "output", the slides "code"; a
    handout's decoder may use either.
    """
    named_code = bool(tf.global_variables("decoder/code/"))
    return ("decoder/code" if named_code else DECODER_SCOPES[0],) + DECODER_SCOPES[1:]


class Pretraining:
    """--pretrain layerwise on a training script: the layer-wise stages, trained before its loop.

    Built with the graph (after the whole network, before the Saver, so that
    checkpoints hold the stages' optimiser state), it trains, in `train`, each
    encoder layer in turn for --pretrain-epochs epochs through the run's
    folder, record and resume, and returns the epoch where the slides' loop
    begins. Without --pretrain layerwise it builds and trains nothing.

    The denoising autoencoder's stages corrupt their input at its --corruption
    level (stacked denoising autoencoders); loss_scale: as the whole network's
    (float16 on a GPU with --precision mixed).
    """

    def __init__(self, args, x, phase_train, global_step, encoder_hidden, decoder_hidden,
                 loss_scale=1.0):
        self.x, self.phase_train, self.global_step = x, phase_train, global_step
        self.batch_size = args.batch_size
        self.per_stage, self.stages = args.pretrain_epochs, []
        if args.pretrain != "layerwise":
            return
        widths = encoder_widths(args.n_code, encoder_hidden)
        if list(decoder_hidden) != widths[-2:0:-1]:
            raise LabError(f"--pretrain layerwise needs the decoder to mirror the encoder; the "
                           f"architecture has encoder {widths[1:-1]} and decoder "
                           f"{list(decoder_hidden)}")
        self.decoder_scopes = decoder_scopes()
        self.stages = layerwise_training(x, widths, phase_train, ENCODER_SCOPES,
                                         self.decoder_scopes, global_step, args.learning_rate,
                                         args.corruption or 0.0, loss_scale)

    @property
    def epochs(self):
        """The epochs layer-wise training takes in all (0 without --pretrain layerwise)."""
        return len(self.stages) * self.per_stage

    def train(self, run, mnist, start_epoch, validation_fetches):
        """Trains the layer-wise epochs from start_epoch on; returns the first epoch of the whole network.

        Each epoch is validated (the whole network's loss, validation_fetches:
        the loss and its summaries), saved and recorded like the slides' loop's.
        """
        if not self.stages or start_epoch >= run.epochs:
            return start_epoch
        train_writer, val_writer = run.writers
        validation = {self.x: mnist.validation.images, self.phase_train: False}
        for epoch in range(start_epoch, self.epochs):
            stage = self.stages[epoch // self.per_stage]
            if epoch == start_epoch or epoch % self.per_stage == 0:
                self._announce(stage, epoch)
            avg_cost = train_epoch(run.sess, run, stage.train_op, stage.cost, mnist.train,
                                   self.batch_size, self._feed,
                                   (stage.summary_op, train_writer, self.global_step))
            validation_loss, *summaries = run.evaluate(validation_fetches, validation)
            for summary in summaries:
                val_writer.add_summary(summary, run.global_step)
            print(f"Layer-wise epoch {epoch + 1:04d} ({stage.name} of {len(self.stages)}): "
                  f"cost = {avg_cost:.9f}, validation loss = {validation_loss!s}{run.note}")
            run.saver.save(run.sess, checkpoints.checkpoint_path(run.logdir, epoch + 1),
                           global_step=self.global_step)
            run.epoch_done(epoch + 1, avg_cost, validation_loss, stage.name)
        print(f"Whole network from epoch {max(start_epoch, self.epochs) + 1}")
        return max(start_epoch, self.epochs)

    def _feed(self, minibatch_x, minibatch_y):
        return {self.x: minibatch_x, self.phase_train: True}

    def _announce(self, stage, epoch):
        first = epoch // self.per_stage * self.per_stage
        last = first + self.per_stage
        when = f"epochs {first + 1}-{last}" if last > first + 1 else f"epoch {last}"
        print(f"Layer-wise stage {stage.number} of {len(self.stages)}, {when}: "
              f"{ENCODER_SCOPES[stage.number - 1]} ({stage.n_in}-{stage.n_out}) with "
              f"{self.decoder_scopes[stage.number - 1]}; cost = its reconstruction error of its "
              f"input")
