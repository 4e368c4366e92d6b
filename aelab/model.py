"""The deep autoencoder of the slides, as TensorFlow 1.x graph-building functions.

A library, not a script. Each function only adds ops to the default graph, in
the slides' order: `layer_batch_norm` and `layer` make one layer, `encoder`
and `decoder` stack them (784-1000-500-250-n_code and back), `loss` and
`evaluate` measure the reconstruction, `training` adds the Adam step,
`image_summary` and `corrupt_input` serve TensorBoard and the denoising
autoencoder. The scripts own the rest, as on the slides: the placeholders, the
session, the saver and the training loop.
"""

import tensorflow.compat.v1 as tf

n_input = 28 * 28
# The slides' widths of the three hidden layers on each side. autoencoder_mnist.py
# sets them in its "# Architecture" block; these are the functions' defaults.
ENCODER_HIDDEN = (1000, 500, 250)
DECODER_HIDDEN = (250, 500, 1000)

BATCH_NORM_DECAY = 0.9
BATCH_NORM_EPSILON = 1e-3


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


def encoder(x, n_code, phase_train, hidden=ENCODER_HIDDEN):
    """784 -> 1000 -> 500 -> 250 -> n_code.

    Args:
      x: (batch, 784) float32 images.
      n_code: size of the code.
      phase_train: scalar bool tensor.
      hidden: widths of the three hidden layers (the slides' n_encoder_hidden_1..3).

    Returns:
      code: (batch, n_code) float32.
    """
    n_encoder_hidden_1, n_encoder_hidden_2, n_encoder_hidden_3 = hidden
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


def decoder(code, n_code, phase_train, hidden=DECODER_HIDDEN):
    """n_code -> 250 -> 500 -> 1000 -> 784.

    Args:
      code: (batch, n_code) float32.
      n_code: size of the code.
      phase_train: scalar bool tensor.
      hidden: widths of the three hidden layers (the slides' n_decoder_hidden_1..3).

    Returns:
      output: (batch, 784) float32 reconstructions in (0, 1).
    """
    n_decoder_hidden_1, n_decoder_hidden_2, n_decoder_hidden_3 = hidden
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


def loss(output, x):
    """Training cost: the batch mean of each image's L2 reconstruction error ||output - x||.

    Args:
      output: (batch, 784) float32 reconstructions.
      x: (batch, 784) float32 clean images (the target).

    Returns:
      train_loss: scalar float32 tensor.
      train_summary_op: the "train_cost" scalar summary.
    """
    with tf.variable_scope("training"):
        l2 = tf.sqrt(tf.reduce_sum(tf.square(tf.subtract(output, x)), 1))
        train_loss = tf.reduce_mean(l2)
        train_summary_op = tf.summary.scalar("train_cost", train_loss)
    return train_loss, train_summary_op


def training(cost, global_step, learning_rate=0.001, var_list=None, name="Adam", loss_scale=1.0):
    """Adds the Adam step (beta1 0.9, beta2 0.999, epsilon 1e-8) minimising cost.

    var_list: the variables to train (default: all trainable ones); name: the
    optimiser's, distinct for each optimiser of one graph; loss_scale: the
    factor float16 training on a GPU multiplies the cost by, so that small
    gradients do not vanish (Adam's step is the same for any factor).

    Returns:
      train_op: the op that runs one step and increments global_step.
    """
    optimizer = tf.train.AdamOptimizer(learning_rate=learning_rate, beta1=0.9, beta2=0.999,
                                       epsilon=1e-08, name=name)
    return optimizer.minimize(cost * loss_scale, global_step=global_step, var_list=var_list)


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
        l2 = tf.sqrt(tf.reduce_sum(tf.square(tf.subtract(output, x, name="val_diff")), 1))
        val_loss = tf.reduce_mean(l2)
        val_summary_op = tf.summary.scalar("val_cost", val_loss)
    return val_loss, in_im_op, out_im_op, val_summary_op


def cross_entropy(output, x):
    """Each image's cross-entropy H(x || output), summed over its pixels.

    The slides' theory names it beside the squared error: L_H(x, z) = H(B_x || B_z),
    x and z read as pixel probabilities. It is computed from the logits of the
    sigmoid that gave `output` (tf.nn.sigmoid_cross_entropy_with_logits), which
    stays finite where the sigmoid saturates at 0 or 1.

    Args:
      output: (batch, 784) float32, the decoder's output: a tf.nn.sigmoid.
      x: (batch, 784) float32 images in [0, 1], the target.

    Returns:
      (batch,) float32.
    """
    if output.op.type != "Sigmoid":
        raise ValueError(f"cross_entropy needs the output of a sigmoid, not of {output.op.type}")
    logits = output.op.inputs[0]
    return tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=logits), 1)


def cross_entropy_loss(output, x):
    """`loss` with the cross-entropy in place of the L2 distance: (train_loss, train_summary_op)."""
    with tf.variable_scope("training"):
        train_loss = tf.reduce_mean(cross_entropy(output, x))
        train_summary_op = tf.summary.scalar("train_cost", train_loss)
    return train_loss, train_summary_op


def cross_entropy_evaluate(output, x):
    """`evaluate` with the cross-entropy in place of the L2 distance."""
    with tf.variable_scope("validation"):
        in_im_op = image_summary("input_image", x)
        out_im_op = image_summary("output_image", output)
        val_loss = tf.reduce_mean(cross_entropy(output, x))
        val_summary_op = tf.summary.scalar("val_cost", val_loss)
    return val_loss, in_im_op, out_im_op, val_summary_op


# The reconstruction losses a training script can use (--loss), each as (loss, evaluate).
LOSSES = {"l2": (loss, evaluate), "cross-entropy": (cross_entropy_loss, cross_entropy_evaluate)}


def corrupt_input(x):
    """Masking noise, as on the slide: x times a random matrix of 0s and 1s.

    The integers are drawn uniformly from {0, 1} (`maxval` is excluded), so
    each pixel is kept or zeroed with probability 1/2, afresh at every run.

    Args:
      x: (batch, 784) float32 images.

    Returns:
      (batch, 784) float32, x with about half of its pixels set to 0.
    """
    corrupting_matrix = tf.random_uniform(shape=tf.shape(x), minval=0, maxval=2, dtype=tf.int32)
    return x * tf.cast(corrupting_matrix, tf.float32)


def masking_noise(x, corruption):
    """corrupt_input at any level: each pixel (or unit) is zeroed with probability `corruption`.

    At the slides' 1/2 it is the same noise as corrupt_input, which draws it
    as integers, as the slide shows.
    """
    return x * tf.cast(tf.random_uniform(tf.shape(x)) >= corruption, tf.float32)


def linear_autoencoder(x, n_code):
    """784 -> n_code -> 784 with no activation and no batch norm, on mean-centred images.

    The slides' theory: such a network, trained on the squared error, learns
    hidden units that span the same space as the first n_code principal
    components. The training images' mean is a variable (not trained), set
    once by the training script, so a checkpoint holds all a reload needs.

    Args:
      x: (batch, 784) float32 images.
      n_code: size of the code.

    Returns:
      mean: (784,) variable; code: (batch, n_code); output: (batch, 784),
      the reconstruction with the mean added back.
    """
    with tf.variable_scope("linear"):
        mean = tf.get_variable("mean", [n_input], trainable=False,
                               initializer=tf.zeros_initializer())
        W_encode = tf.get_variable("W_encode", [n_input, n_code],
                                   initializer=tf.random_normal_initializer(stddev=n_input ** -0.5))
        b_encode = tf.get_variable("b_encode", [n_code], initializer=tf.zeros_initializer())
        W_decode = tf.get_variable("W_decode", [n_code, n_input],
                                   initializer=tf.random_normal_initializer(stddev=n_code ** -0.5))
        b_decode = tf.get_variable("b_decode", [n_input], initializer=tf.zeros_initializer())
        code = tf.matmul(x - mean, W_encode) + b_encode
        output = tf.matmul(code, W_decode) + b_decode + mean
    return mean, code, output
