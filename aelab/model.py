"""The deep autoencoder of the slides, as TensorFlow 1.x graph-building functions.

A library, not a script. Each function only adds ops to the default graph, in
the slides' order: `layer_batch_norm` and `layer` make one layer, `encoder`
and `decoder` stack them (784-1000-500-250-n_code and back), `loss` and
`evaluate` measure the reconstruction, `training` adds the Adam step,
`image_summary` and `corrupt_input` serve TensorBoard and the denoising
autoencoder. The driver (placeholders, session, saver, loop) lives in the
scripts; `build_autoencoder` wires the pieces the way both training scripts
and both reload scripts need them, so a checkpoint always meets the graph
that wrote it.

What a reload needs to rebuild the model (which model, n_code and the
training settings) is saved beside the checkpoints with `save_config` and
read back with `load_config`.
"""

import json
import os
import types

import tensorflow.compat.v1 as tf

tf.disable_eager_execution()

# Architecture (the slides' numbers)
n_input = 28 * 28
n_encoder_hidden_1 = 1000
n_encoder_hidden_2 = 500
n_encoder_hidden_3 = 250
n_decoder_hidden_1 = 250
n_decoder_hidden_2 = 500
n_decoder_hidden_3 = 1000

BATCH_NORM_DECAY = 0.9
BATCH_NORM_EPSILON = 1e-3

# The two models a checkpoint folder can hold, as named in its config file.
AUTOENCODER = "autoencoder"
DENOISING_AUTOENCODER = "denoising_autoencoder"
MODELS = (AUTOENCODER, DENOISING_AUTOENCODER)
TRAINED_BY = {AUTOENCODER: "autoencoder_mnist.py",
              DENOISING_AUTOENCODER: "denoising_autoencoder_mnist.py"}
CONFIG_FILE = "model_config.json"


def layer_batch_norm(x, n_out, phase_train):
    """Batch normalisation of a fully connected layer's pre-activations.

    Training (phase_train true) normalises with the batch's own mean and
    variance and updates their moving averages (decay 0.9); otherwise the
    moving averages are used and left unchanged. The update is made inside
    the training branch, so validation and test batches never overwrite
    the averages that inference relies on (the slides' version ran it
    on every evaluation).

    Args:
      x: (batch, n_out) float32.
      n_out: number of units.
      phase_train: scalar bool tensor.

    Returns:
      (batch, n_out) float32, normalised, scaled by gamma, shifted by beta.
    """
    beta = tf.get_variable("beta", [n_out], initializer=tf.zeros_initializer())
    gamma = tf.get_variable("gamma", [n_out], initializer=tf.ones_initializer())
    moving_mean = tf.get_variable("moving_mean", [n_out], trainable=False,
                                  initializer=tf.zeros_initializer())
    moving_var = tf.get_variable("moving_variance", [n_out], trainable=False,
                                 initializer=tf.ones_initializer())
    batch_mean, batch_var = tf.nn.moments(x, [0], name="moments")

    def mean_var_with_update():
        update_mean = tf.assign_sub(moving_mean, (1 - BATCH_NORM_DECAY) * (moving_mean - batch_mean))
        update_var = tf.assign_sub(moving_var, (1 - BATCH_NORM_DECAY) * (moving_var - batch_var))
        with tf.control_dependencies([update_mean, update_var]):
            return tf.identity(batch_mean), tf.identity(batch_var)

    mean, var = tf.cond(phase_train, mean_var_with_update,
                        lambda: (tf.identity(moving_mean), tf.identity(moving_var)))
    return tf.nn.batch_normalization(x, mean, var, beta, gamma, BATCH_NORM_EPSILON)


def layer(input, weight_shape, bias_shape, phase_train):
    """One layer: sigmoid(batch_norm(input W + b)).

    Args:
      input: (batch, weight_shape[0]) float32.
      weight_shape: [n_in, n_out]; W starts as N(0, 1/n_in).
      bias_shape: [n_out]; b starts at 0.
      phase_train: scalar bool tensor.

    Returns:
      (batch, n_out) float32 in (0, 1).
    """
    weight_init = tf.random_normal_initializer(stddev=(1.0 / weight_shape[0]) ** 0.5)
    bias_init = tf.constant_initializer(value=0)
    W = tf.get_variable("W", weight_shape, initializer=weight_init)
    b = tf.get_variable("b", bias_shape, initializer=bias_init)
    logits = tf.matmul(input, W) + b
    return tf.nn.sigmoid(layer_batch_norm(logits, weight_shape[1], phase_train))


def encoder(x, n_code, phase_train):
    """784 -> 1000 -> 500 -> 250 -> n_code.

    Args:
      x: (batch, 784) float32 images.
      n_code: size of the code.
      phase_train: scalar bool tensor.

    Returns:
      code: (batch, n_code) float32.
    """
    with tf.variable_scope("encoder"):
        with tf.variable_scope("hidden_1"):
            hidden_1 = layer(x, [n_input, n_encoder_hidden_1], [n_encoder_hidden_1], phase_train)
        with tf.variable_scope("hidden_2"):
            hidden_2 = layer(hidden_1, [n_encoder_hidden_1, n_encoder_hidden_2], [n_encoder_hidden_2], phase_train)
        with tf.variable_scope("hidden_3"):
            hidden_3 = layer(hidden_2, [n_encoder_hidden_2, n_encoder_hidden_3], [n_encoder_hidden_3], phase_train)
        with tf.variable_scope("code"):
            code = layer(hidden_3, [n_encoder_hidden_3, n_code], [n_code], phase_train)
    return code


def decoder(code, n_code, phase_train):
    """n_code -> 250 -> 500 -> 1000 -> 784.

    Args:
      code: (batch, n_code) float32.
      n_code: size of the code.
      phase_train: scalar bool tensor.

    Returns:
      output: (batch, 784) float32 reconstructions in (0, 1).
    """
    with tf.variable_scope("decoder"):
        with tf.variable_scope("hidden_1"):
            hidden_1 = layer(code, [n_code, n_decoder_hidden_1], [n_decoder_hidden_1], phase_train)
        with tf.variable_scope("hidden_2"):
            hidden_2 = layer(hidden_1, [n_decoder_hidden_1, n_decoder_hidden_2], [n_decoder_hidden_2], phase_train)
        with tf.variable_scope("hidden_3"):
            hidden_3 = layer(hidden_2, [n_decoder_hidden_2, n_decoder_hidden_3], [n_decoder_hidden_3], phase_train)
        with tf.variable_scope("output"):
            output = layer(hidden_3, [n_decoder_hidden_3, n_input], [n_input], phase_train)
    return output


def l2_distance(output, x):
    """Per-image L2 norm ||output - x||: (batch, 784) twice -> (batch,)."""
    return tf.sqrt(tf.reduce_sum(tf.square(tf.subtract(output, x)), 1))


def loss(output, x):
    """Training cost: the batch mean of each image's L2 reconstruction error.

    Args:
      output: (batch, 784) float32 reconstructions.
      x: (batch, 784) float32 clean images (the target).

    Returns:
      train_loss: scalar float32 tensor.
      train_summary_op: the "train_cost" scalar summary.
    """
    with tf.variable_scope("training"):
        train_loss = tf.reduce_mean(l2_distance(output, x))
        train_summary_op = tf.summary.scalar("train_cost", train_loss)
    return train_loss, train_summary_op


def training(cost, global_step, learning_rate=0.001, var_list=None, name="Adam"):
    """Adds the Adam step (beta1 0.9, beta2 0.999, epsilon 1e-8) minimising cost.

    var_list: the variables to train (default: all trainable ones); name: the
    optimiser's, distinct for each optimiser of one graph.

    Returns:
      train_op: the op that runs one step and increments global_step.
    """
    optimizer = tf.train.AdamOptimizer(learning_rate=learning_rate, beta1=0.9, beta2=0.999,
                                       epsilon=1e-08, name=name)
    return optimizer.minimize(cost, global_step=global_step, var_list=var_list)


def image_summary(label, tensor):
    """An image summary of (batch, 784) images shown as 28x28 pictures."""
    tensor_reshaped = tf.reshape(tensor, [-1, 28, 28, 1])
    return tf.summary.image(label, tensor_reshaped)


def evaluate(output, x):
    """Validation cost (same measure as `loss`) and image summaries.

    Args:
      output: (batch, 784) float32 reconstructions.
      x: (batch, 784) float32 clean images.

    Returns:
      val_loss: scalar float32 tensor.
      in_im_op, out_im_op: image summaries of the input and the output.
      val_summary_op: the "val_cost" scalar summary.
    """
    with tf.variable_scope("validation"):
        in_im_op = image_summary("input_image", x)
        out_im_op = image_summary("output_image", output)
        val_loss = tf.reduce_mean(l2_distance(output, x))
        val_summary_op = tf.summary.scalar("val_cost", val_loss)
    return val_loss, in_im_op, out_im_op, val_summary_op


def corrupt_input(x, drop_prob=0.5):
    """Masking noise: each pixel is zeroed with probability drop_prob, else kept.

    Args:
      x: (batch, 784) float32 images.
      drop_prob: float or scalar tensor in [0, 1]; the slides use 1/2.

    Returns:
      (batch, 784) float32, x with some pixels set to 0.
    """
    keep = tf.cast(tf.random_uniform(shape=tf.shape(x)) >= drop_prob, tf.float32)
    return x * keep


# Layer-wise training: encoder layer k and the decoder layer that mirrors it
ENCODER_SCOPES = ("encoder/hidden_1", "encoder/hidden_2", "encoder/hidden_3", "encoder/code")
DECODER_SCOPES = ("decoder/output", "decoder/hidden_3", "decoder/hidden_2", "decoder/hidden_1")


def encoder_widths(n_code):
    """Widths of the encoder's input and layers: [784, 1000, 500, 250, n_code]."""
    return [n_input, n_encoder_hidden_1, n_encoder_hidden_2, n_encoder_hidden_3, n_code]


def layerwise_stage(x, widths, stage, phase_train, encoder_scopes, decoder_scopes,
                    drop_prob=None):
    """One stage of layer-wise (stacked) training, as a simple autoencoder.

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
      drop_prob: None for a plain autoencoder; for a denoising one, a float or
        scalar tensor: the stage input is corrupted by corrupt_input.

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
    stage_input = target if drop_prob is None else corrupt_input(target, drop_prob)
    n_in, n_out = widths[stage - 1], widths[stage]
    with tf.variable_scope(encoder_scopes[stage - 1], reuse=tf.AUTO_REUSE) as enc:
        code = layer(stage_input, [n_in, n_out], [n_out], phase_train)
    with tf.variable_scope(decoder_scopes[stage - 1], reuse=tf.AUTO_REUSE) as dec:
        output = layer(code, [n_out, n_in], [n_in], phase_train)
    var_list = (tf.trainable_variables(enc.name + "/") + tf.trainable_variables(dec.name + "/"))
    return target, output, var_list


def layerwise_training(x, widths, phase_train, encoder_scopes, decoder_scopes, global_step,
                       learning_rate=0.001, drop_prob=None):
    """Every stage of layer-wise training, each with its own loss and Adam step.

    Args: as layerwise_stage, plus the global_step that each training op
    increments and the learning rate.

    Returns:
      one namespace per encoder layer, bottom first, with x, cost (the stage's
      mean per-image L2 reconstruction error), train_summary_op and train_op.
    """
    stages = []
    for stage in range(1, len(encoder_scopes) + 1):
        with tf.name_scope(f"layerwise_{stage}"):
            target, output, var_list = layerwise_stage(x, widths, stage, phase_train,
                                                       encoder_scopes, decoder_scopes, drop_prob)
            cost, summary_op = loss(output, target)
            train_op = training(cost, global_step, learning_rate, var_list,
                                name=f"Adam_layerwise_{stage}")
        stages.append(types.SimpleNamespace(x=x, cost=cost, train_summary_op=summary_op,
                                            train_op=train_op))
    return stages


def build_autoencoder(n_code, denoising=False):
    """Placeholders, the encoder and the decoder, wired as the scripts use them.

    The denoising autoencoder feeds the encoder corrupt_input(x) when the fed
    `corrupt` toggle is 1 and x itself when it is 0 (the slides' c_x); the
    target stays the clean x.

    Returns:
      A namespace with x (batch, 784) placeholder, phase_train (bool
      placeholder), corrupt (float placeholder, default 0, None unless
      denoising), drop_prob (float placeholder, default 0.5, None unless
      denoising), encoder_input, code (batch, n_code) and output (batch, 784).
    """
    x = tf.placeholder(tf.float32, name="x", shape=[None, n_input])
    phase_train = tf.placeholder(tf.bool, name="phase_train", shape=[])
    corrupt = drop_prob = None
    encoder_input = x
    if denoising:
        corrupt = tf.placeholder_with_default(0.0, shape=[], name="corrupt")
        drop_prob = tf.placeholder_with_default(0.5, shape=[], name="drop_prob")
        encoder_input = corrupt_input(x, drop_prob) * corrupt + x * (1 - corrupt)
    code = encoder(encoder_input, n_code, phase_train)
    output = decoder(code, n_code, phase_train)
    return types.SimpleNamespace(x=x, phase_train=phase_train, corrupt=corrupt,
                                 drop_prob=drop_prob, encoder_input=encoder_input,
                                 code=code, output=output)


def save_config(folder, model, n_code, **settings):
    """Writes what a reload needs (which model, n_code, settings) into folder."""
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, not {model!r}")
    config = dict(model=model, n_code=int(n_code), **settings)
    path = os.path.join(folder, CONFIG_FILE)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)
    return path


def load_config(folder):
    """Reads the config that save_config wrote; None if the folder has none.

    Raises:
      ValueError: the file is there but is not a config of one of MODELS.
    """
    path = os.path.join(folder, CONFIG_FILE)
    if not os.path.isfile(path):
        return None
    try:
        with open(path) as f:
            config = json.load(f)
        if config["model"] not in MODELS or int(config["n_code"]) < 1:
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise ValueError(f"{path} is not a model config of this lab "
                         f"(expected a model of {', '.join(MODELS)} and a positive n_code)") from None
    return config
