"""The basic autoencoder's bright dots: output pixels that stay near 1 in every reconstruction.

    python bench/bright_dots.py --data-dir /usr/share/datasets/fashion-mnist --epochs 100

Trains the slides' basic autoencoder (784-256-784, sigmoid, RMSProp 0.01, batch
100; weights and biases from tf.random_normal) and counts, after some epochs,
the output pixels that are above 0.9 in the reconstruction of every test image,
and those exactly 1.0 in float32. It does the same with the weights and biases
started ten times smaller (--stddev 0.1), which is what makes the dots go. A
measurement, not a lab script: docs/lab.md explains what it shows.
"""

import argparse
import json
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPORTED = (1, 5, 20, 50, 100, 200, 500, 1000)


def count_dots(args, stddev):
    """{epoch: (pixels above 0.9 in every test reconstruction, pixels exactly 1.0 in every one)}."""
    import numpy as np
    import tensorflow.compat.v1 as tf

    from aelab import input_data
    mnist = input_data.read_data_sets(args.data_dir, seed=args.seed)
    with tf.Graph().as_default():
        tf.set_random_seed(args.seed)
        X = tf.placeholder(tf.float32, [None, 784])
        start = [tf.random_normal(shape, stddev=stddev) for shape in
                 ([784, 256], [256], [256, 784], [784])]
        W_encode, b_encode, W_decode, b_decode = map(tf.Variable, start)
        encoder = tf.nn.sigmoid(tf.add(tf.matmul(X, W_encode), b_encode))
        decoder = tf.nn.sigmoid(tf.add(tf.matmul(encoder, W_decode), b_decode))
        cost = tf.reduce_mean(tf.pow(X - decoder, 2))
        optimizer = tf.train.RMSPropOptimizer(0.01).minimize(cost)
        counts = {}
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for epoch in range(1, args.epochs + 1):
                for _ in range(mnist.train.num_examples // 100):
                    sess.run(optimizer, {X: mnist.train.next_batch(100)[0]})
                if epoch in REPORTED or epoch == args.epochs:
                    out = sess.run(decoder, {X: mnist.test.images})
                    counts[epoch] = (int(np.all(out > 0.9, axis=0).sum()),
                                     int(np.all(out == 1.0, axis=0).sum()))
    return counts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist", metavar="DIR")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    sys.path.insert(0, REPO)
    from aelab import quiet_tensorflow  # TensorFlow starts quietly, in graph mode
    for label, stddev in (("the slides' start, tf.random_normal (standard deviation 1)", 1.0),
                          ("a start ten times smaller (standard deviation 0.1)", 0.1)):
        counts = count_dots(args, stddev)
        print(f"{label}, seed {args.seed}: epoch: [pixels > 0.9 in every reconstruction, "
              f"pixels exactly 1.0] {json.dumps(counts)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
