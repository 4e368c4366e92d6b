"""Linear autoencoder against PCA (slides 이론, "Basic(simple) Autoencoder Theory").

    python linear_ae_vs_pca.py 2

The slide claims: "If the hidden and output layers are linear, it will learn
hidden units that are a linear function of the data and minimize the squared
error. The K hidden units will span the same space as the first k principal
components. The weight vectors may not be orthogonal." This script trains
such a network, 784-K-784 with no activation and no batch norm, on the
squared error of the training images minus their mean, with checkpoints
like the lab's (linear_autoencoder_hidden=K_logs/; the same command resumes
or, when done, reloads), then compares it with PCA fitted on the same images:

- the test reconstruction error (mean squared error per pixel) of both;
- the cosines of the principal angles between the span of the decoder's K
  weight vectors and PCA's first K components (all 1 when the spans agree),
  and the largest |cosine| between two of the decoder's own weight vectors
  (0 only if they happened to be orthogonal);
- linear_ae_vs_pca.png: PCA's components, the decoder's weight vectors, and
  the combinations of those weights closest to each component.

Its last line can be read by a script:

    Linear autoencoder vs PCA, K=2: smallest principal-angle cosine 0.99995, MSE ratio 1.0003
"""

import aelab.quiet_tensorflow  # TensorFlow starts without its start-up lines, in graph mode

import argparse

import numpy as np
import tensorflow.compat.v1 as tf
from sklearn.decomposition import PCA

from aelab import argtypes, checkpoints, cli, figures, input_data, kinds, runs
from aelab.model import linear_autoencoder, training
from aelab.stacking import train_epoch

# 옵션 설정: Adam, as the deep autoencoder; 60 epochs bring K=16 to the PCA subspace
learning_rate = 0.001
training_epochs = 60
batch_size = 100
FIGURE_FILE = "linear_ae_vs_pca.png"


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Train a linear autoencoder (784-K-784) and compare it with PCA of K "
                    "components: reconstruction error, and the angles between the two subspaces.")
    parser.add_argument("n_code", metavar="K", type=argtypes.positive_int,
                        help="size of the code, and the number of principal components")
    cli.add_training_arguments(parser, training_epochs, batch_size, learning_rate, resumes=True)
    runs.add_run_arguments(parser, kinds.LINEAR_AUTOENCODER, "K")
    figures.add_figure_arguments(parser, FIGURE_FILE)
    args = parser.parse_args(argv)
    if args.n_code > 784:
        parser.error(f"argument K: at most 784 (the pixels of an image), not {args.n_code}")
    args.logdir = args.logdir or kinds.LINEAR_AUTOENCODER.default_logdir(args.n_code)
    runs.use_recorded_data(args)  # a resume with no data option: the run's own data
    return args


def principal_cosines(vectors, components):
    """Cosines of the principal angles between the spans of two sets of row vectors, largest first."""
    basis, _ = np.linalg.qr(np.asarray(vectors, np.float64).T)
    others, _ = np.linalg.qr(np.asarray(components, np.float64).T)
    return np.linalg.svd(basis.T @ others, compute_uv=False)


def largest_overlap(vectors):
    """The largest |cosine| between two different rows of vectors (None for a single row)."""
    if len(vectors) < 2:
        return None
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    cosines = np.abs(unit @ unit.T)
    return float(cosines[~np.eye(len(vectors), dtype=bool)].max())


def mapped_onto(vectors, components):
    """For each component, the combination of the vectors closest to it (least squares)."""
    coefficients = np.linalg.lstsq(vectors.T, components.T, rcond=None)[0]
    return (vectors.T @ coefficients).T


def main(argv=None):
    args = parse_args(argv)
    learning_rate, training_epochs, batch_size = args.learning_rate, args.epochs, args.batch_size
    mnist = input_data.read_data_sets(args.data_dir, one_hot=True, dataset=args.dataset,
                                      validation_size=args.validation_size, seed=args.seed,
                                      train_class=args.train_class)
    input_data.check_sizes(mnist, batch_size)
    total_batch = min(int(mnist.train.num_examples / batch_size), args.steps_per_epoch)
    run = runs.Run.from_args(args, kinds.LINEAR_AUTOENCODER, total_batch, loss="squared error",
                             curve_is_the_figure=False)
    with tf.Graph().as_default():
        tf.set_random_seed(args.seed)
        # 신경망 모델 구성: 784 -> K -> 784, no activation, on images minus their mean
        x = tf.placeholder(tf.float32, name="x", shape=[None, 784])
        mean, code, output = linear_autoencoder(x, args.n_code)
        cost = tf.reduce_mean(tf.square(output - x))  # the squared error, per pixel
        global_step = tf.Variable(0, name="global_step", trainable=False)
        train_op = training(cost, global_step, learning_rate)
        saver = tf.train.Saver(max_to_keep=None)

        with tf.Session() as sess, run:
            sess.run(tf.global_variables_initializer())
            if run.resume(sess, saver) == 0:  # a fresh start: the training images' mean
                mean.load(mnist.train.images.mean(axis=0), sess)
            for epoch in range(run.start_epoch, training_epochs):
                avg_cost = train_epoch(sess, run, train_op, cost, mnist.train, batch_size,
                                       lambda images, labels: {x: images})
                print("Epoch:", "%04d" % (epoch + 1), "cost =", "{:.9f}".format(avg_cost))
                validation_loss = run.evaluate(cost, feed_dict={x: mnist.validation.images})
                print("Validation Loss:", validation_loss)
                saver.save(sess, checkpoints.checkpoint_path(run.logdir, epoch + 1),
                           global_step=global_step)
                run.epoch_done(epoch + 1, avg_cost, validation_loss)
            weights = sess.run(tf.trainable_variables("linear/W_decode")[0])
            reconstructions = sess.run(output, feed_dict={x: mnist.test.images})
    status = run.finish()
    return status if run.steps.stopped else compare(args, mnist, weights, reconstructions)


def compare(args, mnist, weights, reconstructions):
    """결과 확인: the autoencoder against PCA fitted on the same training images."""
    k, test = args.n_code, mnist.test.images
    pca = PCA(n_components=k).fit(mnist.train.images)
    pca_mse = float(np.mean((pca.inverse_transform(pca.transform(test)) - test) ** 2))
    ae_mse = float(np.mean((reconstructions - test) ** 2))
    cosines = principal_cosines(weights, pca.components_)
    overlap = largest_overlap(weights)
    print(f"Test set: {len(test)} images; PCA fitted on the same {mnist.train.num_examples} "
          f"training images")
    print(f"{'':<24}{'test MSE':>10}")
    print(f"{f'PCA, {k} components':<24}{pca_mse:>10.6f}")
    print(f"{'linear autoencoder':<24}{ae_mse:>10.6f}")
    print("cosines of the principal angles between the decoder's span and PCA's: "
          + " ".join(f"{c:.5f}" for c in cosines))
    print("largest |cosine| between two decoder weight vectors: "
          + ("none, K is 1" if overlap is None else f"{overlap:.4f} (orthogonal vectors: 0)"))
    fig = figures.image_rows(
        [(f"PCA's {k} components", pca.components_), ("decoder weights", weights),
         ("weights mapped\nonto the components", mapped_onto(weights, pca.components_))],
        f"Linear autoencoder vs PCA, K={k}:\nthe components, the decoder's weights, "
        f"and the weights' closest combinations", signed=True)
    figures.finish_figure(fig, FIGURE_FILE, save=args.save, no_show=args.no_show)
    print(f"Linear autoencoder vs PCA, K={k}: smallest principal-angle cosine {cosines.min():.5f}, "
          f"MSE ratio {ae_mse / pca_mse:.4f}")
    return 0


if __name__ == "__main__":
    cli.run(main)
