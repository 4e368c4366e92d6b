"""The slides' autoencoders, and the three past them, as TensorFlow 1.x graph-building functions.

A library, not a script. Each function only adds ops to the default graph, in
the slides' order: `layer_batch_norm` and `layer` make one layer, `encoder`
and `decoder` stack them (784-1000-500-250-n_code and back), `loss` and
`evaluate` measure the reconstruction, `training` adds the Adam step,
`image_summary` and `corrupt_input` serve TensorBoard and the denoising
autoencoder. The scripts own the rest, as on the slides: the placeholders, the
session, the saver and the training loop.

Past the slides: `conv_encoder` and `conv_decoder` (the convolutional
autoencoder), `sparse_encoder` and `sparsity_penalty` (the sparse one),
`vae_encoder`, `sample_code`, `vae_decoder` and `kl_divergence` (the
variational one), with `report`, which names a part of a cost the training
script prints beside it (a VAE's reconstruction and KL).

Contracts every model function keeps:
- an image batch is (batch, 784) float32 in [0, 1] in and out: a convolution
  reshapes inside;
- a decoder's output is a tf.nn.sigmoid op (`cross_entropy` reads its logits);
- a model's inference graph reaches its output from x only through its code,
  so that feeding the code tensor decodes (aelab/reload.py's `decode`);
- variables live under the scopes "encoder" and "decoder".
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
    """Batch normalisation of a layer's pre-activations, fully connected or convolutional.

    The statistics are taken over every axis but the last: over the batch for
    a fully connected layer, over the batch, height and width for a
    convolution's (batch, height, width, channels), one mean and variance per
    channel.

    Training (phase_train true) normalises with the batch's own mean and
    variance and updates their moving averages (decay 0.9); otherwise the
    moving averages are used and left unchanged. The update is made inside
    the training branch, so validation and test batches never overwrite
    the averages that inference relies on (the slides' version ran it
    on every evaluation).

    Args:
      x: (batch, n_out) or (batch, height, width, n_out) float32.
      n_out: number of units (channels).
      phase_train: scalar bool tensor.

    Returns:
      x's shape, float32, normalised, scaled by gamma, shifted by beta.
    """
    beta = tf.get_variable("beta", [n_out], initializer=tf.zeros_initializer())
    gamma = tf.get_variable("gamma", [n_out], initializer=tf.ones_initializer())
    moving_mean = tf.get_variable("moving_mean", [n_out], trainable=False,
                                  initializer=tf.zeros_initializer())
    moving_var = tf.get_variable("moving_variance", [n_out], trainable=False,
                                 initializer=tf.ones_initializer())
    batch_mean, batch_var = tf.nn.moments(x, list(range(x.shape.ndims - 1)), name="moments")

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

    Always ends in its code layer (sigmoid of batch norm, scope "encoder/code"):
    a model with another head builds its own encoder (a VAE's mean and
    log-variance: `vae_encoder`).

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

    Contract: output is a tf.nn.sigmoid op (every decoder here ends in one); a
    ValueError says so otherwise.

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


# ------------------------------------------------------------------ past the slides

REPORTED = "reported"  # the graph collection of a cost's parts, printed beside it (`report`)


def report(name, tensor):
    """Names a scalar part of a cost for the training script to print beside it and plot.

    The part joins the graph collection REPORTED as a tensor named `name`
    (spaces as underscores), which aelab/runs.py averages over the validation
    and test images, as it does the cost; its scalar summary, tagged
    train_<name>, gives runs.py each step's value for the epoch's mean.

    Returns:
      the part's scalar summary, to merge into the training summary.
    """
    tag = name.replace(" ", "_")
    tf.add_to_collection(REPORTED, tf.identity(tensor, name=tag))
    return tf.summary.scalar("train_" + tag, tensor)


def dense(input, n_in, n_out, activation=None):
    """activation(input W + b), no batch norm; W starts as N(0, 1/n_in), b at 0.

    Args:
      input: (batch, n_in) float32.
      activation: tf.nn.sigmoid, tf.nn.relu, or None for the plain affine map.

    Returns:
      (batch, n_out) float32.
    """
    W = tf.get_variable("W", [n_in, n_out],
                        initializer=tf.random_normal_initializer(stddev=n_in ** -0.5))
    b = tf.get_variable("b", [n_out], initializer=tf.zeros_initializer())
    logits = tf.matmul(input, W) + b
    return activation(logits) if activation else logits


def conv_layer(input, filter_shape, phase_train):
    """One convolution block: relu(batch_norm(conv2d(input, W) + b)), 3x3 'SAME', stride 1.

    Args:
      input: (batch, height, width, filter_shape[2]) float32.
      filter_shape: [height, width, in_channels, out_channels]; W starts as
        N(0, 2/fan_in) (He's, for a ReLU), b at 0.
      phase_train: scalar bool tensor.

    Returns:
      (batch, height, width, out_channels) float32.
    """
    fan_in = filter_shape[0] * filter_shape[1] * filter_shape[2]
    W = tf.get_variable("W", filter_shape,
                        initializer=tf.random_normal_initializer(stddev=(2.0 / fan_in) ** 0.5))
    b = tf.get_variable("b", filter_shape[-1:], initializer=tf.zeros_initializer())
    conv = tf.nn.conv2d(input, W, strides=[1, 1, 1, 1], padding="SAME") + b
    return tf.nn.relu(layer_batch_norm(conv, filter_shape[3], phase_train))


def max_pool(input):
    """2x2 max pooling, stride 2: (batch, h, w, c) -> (batch, h/2, w/2, c)."""
    return tf.nn.max_pool(input, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME")


def deconv_layer(input, filter_shape, phase_train=None):
    """A 3x3 transposed convolution of stride 2, doubling height and width.

    Args:
      input: (batch, h, w, filter_shape[3]) float32.
      filter_shape: [height, width, out_channels, in_channels] (conv2d_transpose's order).
      phase_train: scalar bool tensor: relu(batch_norm(...)) of the result; None: the
        result as it is (the logits of the output layer).

    Returns:
      (batch, 2h, 2w, out_channels) float32.
    """
    fan_in = filter_shape[0] * filter_shape[1] * filter_shape[3]
    W = tf.get_variable("W", filter_shape,
                        initializer=tf.random_normal_initializer(stddev=(2.0 / fan_in) ** 0.5))
    b = tf.get_variable("b", filter_shape[2:3], initializer=tf.zeros_initializer())
    shape = tf.shape(input)
    output_shape = tf.stack([shape[0], shape[1] * 2, shape[2] * 2, filter_shape[2]])
    deconv = tf.nn.conv2d_transpose(input, W, output_shape, strides=[1, 2, 2, 1], padding="SAME")
    deconv = tf.reshape(deconv + b, [-1, input.shape[1] * 2, input.shape[2] * 2, filter_shape[2]])
    if phase_train is None:
        return deconv
    return tf.nn.relu(layer_batch_norm(deconv, filter_shape[2], phase_train))


CONV_FILTERS = (32, 64)  # the convolutional autoencoder's channels after each block


def conv_encoder(x, n_code, phase_train, filters=CONV_FILTERS):
    """28x28x1 -> conv 3x3 -> 28x28x32 -> pool -> 14x14x32 -> conv 3x3 -> 14x14x64 -> pool
    -> 7x7x64 -> flatten -> n_code (an affine map: the code is not squashed).

    Args:
      x: (batch, 784) float32 images.
      n_code: size of the code.
      phase_train: scalar bool tensor.
      filters: the channels of the two convolution blocks.

    Returns:
      code: (batch, n_code) float32.
    """
    n_filters_1, n_filters_2 = filters
    with tf.variable_scope("encoder"):
        image = tf.reshape(x, [-1, 28, 28, 1])
        with tf.variable_scope("conv_1"):
            conv_1 = max_pool(conv_layer(image, [3, 3, 1, n_filters_1], phase_train))
        with tf.variable_scope("conv_2"):
            conv_2 = max_pool(conv_layer(conv_1, [3, 3, n_filters_1, n_filters_2], phase_train))
        flat = tf.reshape(conv_2, [-1, 7 * 7 * n_filters_2])
        with tf.variable_scope("code"):
            code = dense(flat, 7 * 7 * n_filters_2, n_code)
    return code


def conv_decoder(code, n_code, phase_train, filters=CONV_FILTERS):
    """n_code -> 7x7x64 (batch norm, ReLU) -> transposed conv -> 14x14x32 (batch norm, ReLU)
    -> transposed conv -> 28x28x1 -> sigmoid: the encoder's path back.

    Args:
      code: (batch, n_code) float32.
      filters: the encoder's channels (the decoder runs them backwards).

    Returns:
      output: (batch, 784) float32 reconstructions in (0, 1), a tf.nn.sigmoid op.
    """
    n_filters_1, n_filters_2 = filters
    with tf.variable_scope("decoder"):
        with tf.variable_scope("hidden"):
            W = tf.get_variable("W", [n_code, 7 * 7 * n_filters_2],
                                initializer=tf.random_normal_initializer(stddev=n_code ** -0.5))
            b = tf.get_variable("b", [7 * 7 * n_filters_2], initializer=tf.zeros_initializer())
            hidden = tf.nn.relu(layer_batch_norm(tf.matmul(code, W) + b, 7 * 7 * n_filters_2,
                                                 phase_train))
        image = tf.reshape(hidden, [-1, 7, 7, n_filters_2])
        with tf.variable_scope("deconv_1"):
            deconv_1 = deconv_layer(image, [3, 3, n_filters_1, n_filters_2], phase_train)
        with tf.variable_scope("output"):
            logits = deconv_layer(deconv_1, [3, 3, 1, n_filters_1])
    return tf.nn.sigmoid(tf.reshape(logits, [-1, n_input]))


def sparse_encoder(x, n_hidden):
    """784 -> n_hidden, sigmoid: the basic autoencoder's encoder, in the lab's scopes.

    Returns:
      hidden: (batch, n_hidden) float32 in (0, 1), the activations the penalty keeps sparse.
    """
    with tf.variable_scope("encoder"), tf.variable_scope("hidden"):
        return dense(x, n_input, n_hidden, tf.nn.sigmoid)


def sparse_decoder(hidden, n_hidden):
    """n_hidden -> 784, sigmoid. Returns output: (batch, 784), a tf.nn.sigmoid op."""
    with tf.variable_scope("decoder"), tf.variable_scope("output"):
        return dense(hidden, n_hidden, n_input, tf.nn.sigmoid)


def sparsity_penalty(hidden, penalty="kl", target=0.05):
    """How far the hidden units are from sparse, to add to the reconstruction cost.

    kl (the classic sparse autoencoder's): sum over the units j of KL(rho || rho_hat_j)
    = rho log(rho / rho_hat_j) + (1 - rho) log((1 - rho) / (1 - rho_hat_j)), where
    rho_hat_j is unit j's mean activation over the batch and rho the target;
    l1: the batch mean of each image's sum of |activation| (target unused).

    Args:
      hidden: (batch, n_hidden) float32 in (0, 1).

    Returns:
      scalar float32 tensor.
    """
    if penalty == "l1":
        return tf.reduce_mean(tf.reduce_sum(tf.abs(hidden), 1))
    rho_hat = tf.clip_by_value(tf.reduce_mean(hidden, 0), 1e-6, 1 - 1e-6)
    return tf.reduce_sum(target * tf.log(target / rho_hat)
                         + (1 - target) * tf.log((1 - target) / (1 - rho_hat)))


VAE_ENCODER_HIDDEN = (512, 256)
VAE_DECODER_HIDDEN = (256, 512)


def vae_encoder(x, n_code, hidden=VAE_ENCODER_HIDDEN):
    """784 -> 512 -> 256 (ReLU) -> the mean and the log-variance of q(z|x), n_code each.

    Returns:
      mean, log_var: (batch, n_code) float32 each.
    """
    with tf.variable_scope("encoder"):
        h, n_in = x, n_input
        for i, n_out in enumerate(hidden):
            with tf.variable_scope(f"hidden_{i + 1}"):
                h, n_in = dense(h, n_in, n_out, tf.nn.relu), n_out
        with tf.variable_scope("mean"):
            mean = dense(h, n_in, n_code)
        with tf.variable_scope("log_variance"):
            log_var = dense(h, n_in, n_code)
    return mean, log_var


def sample_code(mean, log_var):
    """The reparameterisation: z = mean + exp(log_var / 2) * eps, eps ~ N(0, I) drawn afresh
    at every run, so that the gradient reaches mean and log_var. Returns (batch, n_code)."""
    eps = tf.random_normal(tf.shape(mean))
    return mean + tf.exp(log_var / 2) * eps


def vae_decoder(z, n_code, hidden=VAE_DECODER_HIDDEN):
    """n_code -> 256 -> 512 (ReLU) -> 784, a Bernoulli's means (sigmoid).

    Built once per call; a second call shares the first's variables (the
    inference graph decodes the mean, the score a sample).

    Returns:
      output: (batch, 784) float32 in (0, 1), a tf.nn.sigmoid op.
    """
    with tf.variable_scope("decoder", reuse=tf.AUTO_REUSE):
        h, n_in = z, n_code
        for i, n_out in enumerate(hidden):
            with tf.variable_scope(f"hidden_{i + 1}"):
                h, n_in = dense(h, n_in, n_out, tf.nn.relu), n_out
        with tf.variable_scope("output"):
            return dense(h, n_in, n_input, tf.nn.sigmoid)


def kl_divergence(mean, log_var):
    """Each image's KL(q(z|x) || N(0, I)) = -1/2 sum(1 + log_var - mean^2 - exp(log_var)).

    Returns:
      (batch,) float32.
    """
    return -0.5 * tf.reduce_sum(1 + log_var - tf.square(mean) - tf.exp(log_var), 1)


def negative_elbo(output, x, mean, log_var, beta=1.0):
    """Each image's negative ELBO: cross_entropy(output, x) + beta * KL (beta 1: the ELBO's).

    Returns:
      (score, reconstruction, kl): (batch,) float32 each.
    """
    reconstruction, kl = cross_entropy(output, x), kl_divergence(mean, log_var)
    return reconstruction + beta * kl, reconstruction, kl


def l2_distance(output, x):
    """Each image's L2 distance ||output - x||, the lab's measure (`loss`). Returns (batch,)."""
    return tf.sqrt(tf.reduce_sum(tf.square(output - x), 1))


# Each image's reconstruction error, by the name a training script's --loss gives it
MEASURES = {"l2": l2_distance, "cross-entropy": cross_entropy}


def sparse_loss(output, x, hidden, measure=l2_distance, penalty="kl", weight=3.0, target=0.05):
    """The sparse autoencoder's cost: the batch mean of each image's reconstruction error
    (`measure`) + weight * sparsity_penalty(hidden, penalty, target).

    The cost's parts are reported (`report`): the reconstruction, the penalty,
    and the hidden units' mean activation. The cost joins tf.GraphKeys.LOSSES,
    where `cost_evaluate` finds it.

    Returns:
      train_loss: scalar float32 tensor; train_summary_op: its summaries, merged.
    """
    with tf.variable_scope("training"):
        reconstruction = tf.reduce_mean(measure(output, x))
        sparsity = sparsity_penalty(hidden, penalty, target)
        train_loss = reconstruction + weight * sparsity
        summaries = [tf.summary.scalar("train_cost", train_loss),
                     report("reconstruction", reconstruction), report("penalty", sparsity),
                     report("mean activation", tf.reduce_mean(hidden))]
    tf.losses.add_loss(train_loss)
    return train_loss, tf.summary.merge(summaries)


def vae_loss(output, x, mean, log_var, beta=1.0):
    """The VAE's cost: the batch mean of each image's negative ELBO (`negative_elbo`).

    Its parts are reported (`report`): the reconstruction cross-entropy and the
    KL, batch means. The cost joins tf.GraphKeys.LOSSES, where `cost_evaluate`
    finds it.

    Returns:
      train_loss: scalar float32 tensor; train_summary_op: its summaries, merged.
    """
    with tf.variable_scope("training"):
        score, reconstruction, kl = negative_elbo(output, x, mean, log_var, beta)
        train_loss = tf.reduce_mean(score)
        summaries = [tf.summary.scalar("train_cost", train_loss),
                     report("reconstruction", tf.reduce_mean(reconstruction)),
                     report("KL", tf.reduce_mean(kl))]
    tf.losses.add_loss(train_loss)
    return train_loss, tf.summary.merge(summaries)


def cost_evaluate(output, x):
    """`evaluate` for a model measured by its own cost (the VAE's negative ELBO, the sparse
    autoencoder's penalised cost): the one cost its loss added to tf.GraphKeys.LOSSES.

    Returns:
      val_loss, in_im_op, out_im_op, val_summary_op, as `evaluate`.
    """
    train_loss, = tf.losses.get_losses()
    with tf.variable_scope("validation"):
        in_im_op = image_summary("input_image", x)
        out_im_op = image_summary("output_image", output)
        val_loss = tf.identity(train_loss, name="val_cost")
        val_summary_op = tf.summary.scalar("val_cost", val_loss)
    return val_loss, in_im_op, out_im_op, val_summary_op
