"""Autoencoder against PCA (KCC 2019 lab, slides "프로그램 실행하여 테스트하기" and "실행 결과").

    python ae_vs_pca.py mnist_autoencoder_hidden=2_logs

reloads an autoencoder (deep, denoising or linear) from its checkpoint (a
run folder, a checkpoint prefix or one of its files; n_code is read from the
folder) and compares it with PCA of as many components, fitted on the
training images:

- a table of test reconstruction error and of how well the codes separate
  the classes (5-nearest-neighbour accuracy on test codes, fitted on training
  codes);
- the test codes, PCA beside autoencoder, one colour and marker per class;
- the first ten test images with their PCA and autoencoder reconstructions;
- given several checkpoints of a run (say epochs 5, 100 and 200), the same
  test images reconstructed at each epoch, one row per epoch;
- for a 2-number code, the manifold: the decoder applied to a grid of codes
  over the region the test codes fill, beside those codes (slides "Manifold
  learning");
- past the slides, what each kind is known for (its kind's `pictures`): a
  sparse autoencoder's hidden units as 28x28 tiles and the histogram of their
  activations; a variational autoencoder's decoder on a grid of the prior's
  quantiles (2-number codes) and on codes sampled from the prior.
"""

import aelab.quiet_tensorflow  # TensorFlow starts without its start-up lines, in graph mode

import argparse
from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import norm
from sklearn.decomposition import PCA
from sklearn.neighbors import KNeighborsClassifier

from aelab import cli, figures, input_data, reload

sample_size = 10  # test images in the reconstruction figures
n_neighbors = 5
grid_size = 20    # decoded codes per side of the manifold mosaic
prior_quantiles = (0.05, 0.95)  # a VAE's manifold: the prior's quantiles its grid spans
n_samples = 10    # codes drawn from a VAE's prior, per side of their mosaic
UNITS = "encoder/hidden/W"  # the sparse autoencoder's hidden units' weights (model.sparse_encoder)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Compare a trained autoencoder with PCA: reconstruction error, code "
                    "quality, code scatter plots, reconstructions and, for a 2-number code, "
                    "the manifold the decoder draws.")
    parser.add_argument("checkpoints", metavar="CHECKPOINT", nargs="+",
                        help="a run folder (its latest checkpoint), a checkpoint prefix such as "
                             "DIR/model-checkpoint-0005-2750, or one of its .index/.meta/.data "
                             "files; several checkpoints of one run add the by-epoch figure")
    input_data.add_data_arguments(parser, recorded=True)
    reload.add_figure_arguments(parser)
    return parser.parse_args(argv)


def code_quality(train_codes, train_labels, test_codes, test_labels):
    """Accuracy of a k-nearest-neighbour classifier on the codes."""
    knn = KNeighborsClassifier(n_neighbors=n_neighbors).fit(train_codes, train_labels)
    return float(np.mean(knn.predict(test_codes) == test_labels))


def compare(models, train, test):
    """PCA with as many components as each code has, fitted on the training images, and
    each model: their codes and reconstructions of the test images. Returns
    ({n_code: PCA method}, [autoencoder methods])."""
    pca_methods = {}
    for n_code in sorted({m.n_code for m in models}):
        pca = PCA(n_components=n_code).fit(train.images)
        test_codes = pca.transform(test.images)
        pca_methods[n_code] = SimpleNamespace(
            label=f"PCA, {n_code} components", n_code=n_code,
            train_codes=pca.transform(train.images), test_codes=test_codes,
            outputs=pca.inverse_transform(test_codes))
    ae_methods = [SimpleNamespace(label=m.label, n_code=m.n_code, model=m,
                                  train_codes=m.encode(train.images),
                                  test_codes=m.encode(test.images),
                                  outputs=m.reconstruct(test.images)) for m in models]
    return pca_methods, ae_methods


def scatter_codes(panels, labels, names, data):
    """Side-by-side scatter plots of test codes, one colour and marker per class."""
    fig, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 6), squeeze=False)
    for ax, (title, points) in zip(axes[0], panels):
        figures.scatter_classes(ax, points, labels, names)
        ax.set_title(title, fontsize=10)
    figures.class_legend(axes[0][-1])
    fig.suptitle(f"Codes of the {data} test images: PCA and autoencoder")
    return fig


def manifold(method, labels, names, data):
    """The decoder on a grid over the region the 2-number test codes fill, beside those codes."""
    low, high = np.percentile(method.test_codes, [1, 99], axis=0)
    xs = np.linspace(low[0], high[0], grid_size)
    ys = np.linspace(high[1], low[1], grid_size)  # the top row of the mosaic is the highest code
    grid = np.array([[x, y] for y in ys for x in xs])
    mosaic = figures.mosaic(method.model.decode(grid), grid_size, grid_size)
    fig, (codes_ax, images_ax) = plt.subplots(1, 2, figsize=(14, 7.4))
    figures.scatter_classes(codes_ax, method.test_codes, labels, names, size=3)
    figures.class_legend(codes_ax, below=True)
    codes_ax.set_title(f"{data} test codes")
    step = (high - low) / (grid_size - 1)
    region = (low[0] - step[0] / 2, high[0] + step[0] / 2, low[1] - step[1] / 2, high[1] + step[1] / 2)
    images_ax.imshow(mosaic, cmap="gray", vmin=0, vmax=1, extent=region)
    images_ax.set_title(f"the decoder on a {grid_size} x {grid_size} grid of codes")
    for ax in (codes_ax, images_ax):  # the same region on both, each tile drawn square
        ax.set_xlim(*region[:2])
        ax.set_ylim(*region[2:])
        ax.set_aspect(step[0] / step[1])
    fig.suptitle(f"The manifold of {method.label}: which codes make which images")
    return fig


def hidden_units(model, images, data):
    """A sparse autoencoder's hidden units, each as the 28x28 image of its weights (the input
    that drives it most, at a fixed norm), and the histograms of their activations on images."""
    weights = model.weights(UNITS).T  # one row per unit
    columns = int(np.ceil(np.sqrt(len(weights))))
    rows = -(-len(weights) // columns)
    tiles = np.full((rows * columns, 784), np.nan)  # NaN: the empty places, drawn white
    tiles[:len(weights)] = weights / np.abs(weights).max(axis=1, keepdims=True)
    framed = np.pad(tiles.reshape(-1, 28, 28), ((0, 0), (1, 1), (1, 1)), constant_values=np.nan)
    picture = framed.reshape(rows, columns, 30, 30).transpose(0, 2, 1, 3).reshape(rows * 30, -1)
    units, ax = plt.subplots(figsize=(9, 9 * rows / columns + 0.6))
    ax.imshow(picture, cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set_axis_off()
    ax.set_title(f"The {len(weights)} hidden units of the {model.label}: each unit's weights "
                 "(red +, blue -)", fontsize=10)
    activations = model.encode(images)
    histograms, (each, means) = plt.subplots(1, 2, figsize=(12, 4.5))
    each.hist(activations.ravel(), bins=50, log=True, color="tab:blue")
    each.set(xlabel="activation", ylabel="unit-image pairs (log scale)",
             title=f"Every hidden unit on every {data} test image")
    means.hist(activations.mean(axis=0), bins=40, color="tab:orange")
    target = model.config.get("sparsity_target")
    if model.config.get("penalty", "kl") == "kl" and target is not None:
        means.axvline(target, color="black", linestyle="--", label=f"target rho = {target:g}")
        means.legend()
    means.set(xlabel="mean activation over the test images", ylabel="hidden units",
              title="Each hidden unit's mean activation")
    histograms.suptitle(f"How sparse the codes of the {model.label} are: mean activation "
                        f"{activations.mean():.4f}")
    return [(units, "sparse_units"), (histograms, "sparse_activations")]


def prior_samples(model, images, data):
    """A VAE's decoder on its prior: for a 2-number code, on a grid of the prior's quantiles
    (the Keras blog's manifold), and for any code, on codes drawn from N(0, I)."""
    drawn = np.random.RandomState(0).standard_normal((n_samples ** 2, model.n_code))
    panels = [(figures.mosaic(model.decode(drawn), n_samples, n_samples),
               f"{n_samples ** 2} codes drawn from the prior N(0, I), decoded")]
    if model.n_code == 2:
        z = norm.ppf(np.linspace(*prior_quantiles, grid_size))  # equal steps of probability
        grid = np.array([[x, y] for y in z[::-1] for x in z])  # top row: the highest code
        panels.insert(0, (figures.mosaic(model.decode(grid), grid_size, grid_size),
                          f"the decoder on a {grid_size} x {grid_size} grid of the prior's "
                          f"quantiles {prior_quantiles[0]:g} to {prior_quantiles[1]:g}"))
    fig, axes = plt.subplots(1, len(panels), figsize=(7 * len(panels), 7.4), squeeze=False)
    for ax, (picture, title) in zip(axes[0], panels):
        ax.imshow(picture, cmap="gray", vmin=0, vmax=1)
        ax.set_title(title, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    if model.n_code == 2:  # the grid's codes at a few of its tiles
        ticks = [0, grid_size // 2, grid_size - 1]
        axes[0][0].set_xticks([28 * i + 14 for i in ticks], [f"{z[i]:.2f}" for i in ticks])
        axes[0][0].set_yticks([28 * i + 14 for i in ticks], [f"{z[::-1][i]:.2f}" for i in ticks])
    fig.suptitle(f"What the {model.label} makes of codes from its prior ({data}-trained)")
    return [(fig, "vae_prior")]


# The figures a kind is known for (kinds.Kind.pictures), each (model, test images, data) -> [(figure, name)]
PICTURES = {"units": hidden_units, "prior": prior_samples}


def main(argv=None):
    args = parse_args(argv)
    models = [reload.load(path) for path in args.checkpoints]
    last = models[-1]
    input_data.use_recorded_data(args, last.config)
    mnist = input_data.read_data_sets(args.data_dir, dataset=args.dataset,
                                      validation_size=args.validation_size)
    train, test = mnist.train, mnist.test
    dataset = input_data.dataset_shown(args.dataset, args.data_dir)
    data = input_data.SOURCES[dataset].title
    pca_methods, ae_methods = compare(models, train, test)

    print(f"Test set: {test.num_examples} {'Fashion-MNIST' if dataset == 'fashion' else 'MNIST-format'} "
          f"images; PCA fitted and {n_neighbors}-NN trained on "
          f"{train.num_examples} training images")
    methods = [*pca_methods.values(), *ae_methods]
    width = max(28, *(len(m.label) + 1 for m in methods))
    print(f"{'model':<{width}} {'code':>4} {'pixel MSE':>10} {'L2/image':>9} "
          f"{f'{n_neighbors}-NN acc.':>9}")
    for m in methods:
        mse = float(np.mean((m.outputs - test.images) ** 2))
        l2 = reload.mean_l2_error(m.outputs, test.images)
        accuracy = code_quality(m.train_codes, train.labels, m.test_codes, test.labels)
        print(f"{m.label:<{width}} {m.n_code:>4} {mse:>10.5f} {l2:>9.4f} {accuracy:>9.1%}")

    # 결과 확인: figures of the last checkpoint given, and of all of them by epoch
    pca, ae, names = pca_methods[last.n_code], ae_methods[-1], input_data.CLASS_NAMES[dataset]
    drawn = "" if last.n_code == 2 else f"\n(first 2 principal components of the {last.n_code}-D codes)"
    scatter = scatter_codes([(pca.label + drawn, figures.in_2d(pca.test_codes)),
                             (f"{ae.label}, N_CODE={last.n_code}{drawn}",
                              figures.in_2d(ae.test_codes))], test.labels, names, data)
    images = test.images[:sample_size]
    compare_figure = figures.image_rows(
        [("test images", images), (pca.label, pca.outputs), (ae.label, ae.outputs)],
        f"Reconstructions of {data} test images: PCA and autoencoder, N_CODE={last.n_code}")
    outputs = [(scatter, "ae_vs_pca_codes"), (compare_figure, "ae_vs_pca_reconstructions")]
    if len(models) > 1:
        by_epoch = figures.image_rows([("test images", images)] + [(m.label, m.outputs) for m in ae_methods],
                                      f"Reconstructions of the same {data} test images by "
                                      f"checkpoint")
        outputs.append((by_epoch, "ae_vs_pca_epochs"))
    if last.n_code == 2:
        outputs.append((manifold(ae, test.labels, names, data), "ae_vs_pca_manifold"))
    for picture in last.kind.pictures:  # a sparse model's units, a VAE's prior
        outputs += PICTURES[picture](last, test.images, data)
    figures.finish_figures([(fig, reload.figure_path(last, name, args.save_dir))
                            for fig, name in outputs],
                           save=args.save_dir is not None, no_show=args.no_show)
    return 0


if __name__ == "__main__":
    cli.run(main)
