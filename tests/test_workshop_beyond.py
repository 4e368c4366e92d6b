"""The workshop past the slides: TODOs 11-13 (the convolution block, the sparsity penalty, the VAE's
reparameterisation and KL) judge what their lines compute, not how they are spelled."""

from running import check_in, student_copy
from slide_code import type_into

# Lines a student may write instead of the kit's: other spellings of the same computation.
OTHER_RIGHT = {
    11: [["W = tf.get_variable('W', filter_shape, initializer=tf.random_normal_initializer(",
          "    stddev=(2.0 / (3 * 3 * filter_shape[2])) ** 0.5))",
          "b = tf.get_variable('b', [filter_shape[3]], initializer=tf.constant_initializer(0.0))",
          "z = tf.nn.bias_add(tf.nn.conv2d(input, W, [1, 1, 1, 1], 'SAME'), b)",
          "return tf.nn.relu(layer_batch_norm(z, filter_shape[-1], phase_train))"],
         ["conv_1 = max_pool(conv_layer(image, [3, 3, 1, 32], phase_train))"]],
    12: [["rho_hat = tf.reduce_mean(hidden, axis=0)",
          "return tf.reduce_sum(target * (tf.log(target) - tf.log(rho_hat))"
          " + (1 - target) * (tf.log(1 - target) - tf.log(1 - rho_hat)))"]],
    13: [["eps = tf.random_normal(tf.shape(log_var), mean=0.0, stddev=1.0)",
          "return mean + tf.sqrt(tf.exp(log_var)) * eps"],
         ["return 0.5 * tf.reduce_sum(tf.exp(log_var) + mean ** 2 - 1 - log_var, axis=-1)"]],
}

# Mistakes a student may make, each with the start of what its row says.
WRONG = {
    11: ([["W = tf.get_variable('W', filter_shape)",
           "b = tf.get_variable('b', filter_shape[-1:], initializer=tf.zeros_initializer())",
           "conv = tf.nn.conv2d(input, W, strides=[1, 1, 1, 1], padding='VALID') + b",
           "return tf.nn.relu(layer_batch_norm(conv, filter_shape[3], phase_train))"],
          ["conv_1 = max_pool(conv_layer(image, [3, 3, 1, n_filters_1], phase_train))"]],
         "the block's output has shape [None, 6, 6, 16], expected [None, 8, 8, 16]"),
    12: ([["rho_hat = tf.reduce_mean(hidden, 1)",  # each image's mean, not each unit's
           "return tf.reduce_sum(target * tf.log(target / rho_hat)"
           " + (1 - target) * tf.log((1 - target) / (1 - rho_hat)))"]],
         "the penalty with target 0.05 is "),
    13: ([["eps = tf.random_normal(tf.shape(mean))",
           "return mean + tf.exp(log_var) * eps"],  # the variance, not the standard deviation
          ["return -0.5 * tf.reduce_sum(1 + log_var - tf.square(mean) - tf.exp(log_var), 1)"]],
         "(z - mean) / exp(log_var / 2) has standard deviation "),
}


def test_other_spellings_of_the_new_todos_are_ok(solution, tmp_path):
    folder = student_copy(solution, tmp_path / "student")
    for number, regions in OTHER_RIGHT.items():
        type_into(folder, number, regions)
    status, rows, out = check_in(folder, "--todo", 11, 12, 13)
    assert status == 0 and rows == {11: "ok", 12: "ok", 13: "ok"}, out


def test_mistakes_in_the_new_todos_are_named(solution, tmp_path):
    folder = student_copy(solution, tmp_path / "student")
    for number, (regions, _) in WRONG.items():
        type_into(folder, number, regions)
    status, rows, out = check_in(folder, "--todo", 11, 12, 13)
    assert status == 1, out
    for number, (_, said) in WRONG.items():
        assert rows[number].startswith(said), (number, out)
