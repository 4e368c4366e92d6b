"""Autoencoder against PCA (KCC 2019 lab, slides "프로그램 실행하여 테스트하기" and "실행 결과").

    python ae_vs_pca.py mnist_autoencoder_hidden=2_logs

reloads a deep autoencoder from its checkpoint (a run folder, a checkpoint
prefix or one of its files; n_code is read from the folder) and compares it
with PCA of as many components, fitted on the training images:

- a table of test reconstruction error and of how well the codes separate
  the classes (5-nearest-neighbour accuracy on test codes, fitted on training
  codes);
- the test codes, PCA beside autoencoder, one colour and marker per class;
- the first ten test images with their PCA and autoencoder reconstructions;
- given several checkpoints of a run (say epochs 5, 100 and 200), the same
  test images reconstructed at each epoch, one row per epoch.
"""

import argparse
import os
from types import SimpleNamespace

from aelab import cli, figures, input_data, reload  # first: TensorFlow starts quietly
import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA
from sklearn.neighbors import KNeighborsClassifier

sample_size = 10  # test images in the reconstruction figures
n_neighbors = 5
MARKERS = "o^sDv<>phX"
FASHION_TITLE = "Fashion-MNIST"
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Compare a trained deep autoencoder with PCA: reconstruction error, "
                    "code quality, code scatter plots and reconstructions.")
    parser.add_argument("checkpoints", metavar="CHECKPOINT", nargs="+",
                        help="a run folder (its latest checkpoint), a checkpoint prefix such as "
                             "DIR/model-checkpoint-0005-2750, or one of its .index/.meta/.data "
                             "files; several checkpoints of one run add the by-epoch figure")
    cli.add_data_arguments(parser, recorded=True)
    group = parser.add_argument_group("figures")
    group.add_argument("--save-dir", metavar="DIR", default=None,
                       help="write the PNGs into DIR (default: the current folder, "
                            "when there is no display or with --no-show)")
    group.add_argument("--no-show", action="store_true",
                       help="do not open windows; write the PNGs instead")
    return parser.parse_args(argv)


def class_names(dataset):
    return FASHION_CLASSES if dataset == "fashion" else tuple(str(d) for d in range(10))


def code_quality(train_codes, train_labels, test_codes, test_labels):
    """Accuracy of a k-nearest-neighbour classifier on the codes."""
    knn = KNeighborsClassifier(n_neighbors=n_neighbors).fit(train_codes, train_labels)
    return float(np.mean(knn.predict(test_codes) == test_labels))


def in_2d(codes):
    """Codes as 2-D points: as they are when 2-wide, else their first two principal components."""
    if codes.shape[1] <= 2:
        return codes if codes.shape[1] == 2 else np.hstack([codes, np.zeros_like(codes)])
    return PCA(n_components=2).fit_transform(codes)


def scatter_codes(panels, labels, names):
    """Side-by-side scatter plots of test codes, one colour and marker per class."""
    fig, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 6), squeeze=False)
    colours = plt.get_cmap("tab10")
    for ax, (title, points) in zip(axes[0], panels):
        for k, name in enumerate(names):
            mine = labels == k
            ax.scatter(points[mine, 0], points[mine, 1], s=4, alpha=0.6, color=colours(k),
                       marker=MARKERS[k], label=name)
        ax.set_title(title, fontsize=10)
        ax.grid(True, alpha=0.3)
    axes[0][-1].legend(markerscale=3, fontsize=8, loc="center left", bbox_to_anchor=(1, 0.5),
                       title="class")
    fig.suptitle("Test codes: PCA and autoencoder")
    return fig


def main(argv=None):
    args = parse_args(argv)
    models = [reload.load(path) for path in args.checkpoints]
    last = models[-1]
    cli.use_recorded_data(args, last.config)
    mnist = input_data.read_data_sets(args.data_dir, dataset=args.dataset,
                                      validation_size=args.validation_size)
    train, test = mnist.train, mnist.test
    # Fashion-MNIST copied into ./mnist/data/ (a workshop handout) is still named as such
    dataset = (input_data.identify(args.data_dir or input_data.default_data_dir(args.dataset))
               or input_data.dataset_name(args.dataset, args.data_dir))

    # PCA with as many components as each code has, fitted on the training images;
    # then each method's codes and reconstructions of the test images.
    methods = []
    for n_code in sorted({m.n_code for m in models}):
        pca = PCA(n_components=n_code).fit(train.images)
        test_codes = pca.transform(test.images)
        methods.append(SimpleNamespace(label=f"PCA, {n_code} components", n_code=n_code,
                                       train_codes=pca.transform(train.images),
                                       test_codes=test_codes,
                                       outputs=pca.inverse_transform(test_codes)))
    pca_methods = {m.n_code: m for m in methods}
    for m in models:
        methods.append(SimpleNamespace(label=m.label, n_code=m.n_code,
                                       train_codes=m.encode(train.images),
                                       test_codes=m.encode(test.images),
                                       outputs=m.reconstruct(test.images)))
    ae_methods = methods[len(pca_methods):]

    print(f"Test set: {test.num_examples} {FASHION_TITLE if dataset == 'fashion' else 'MNIST-format'} "
          f"images; PCA fitted and {n_neighbors}-NN trained on "
          f"{train.num_examples} training images")
    print(f"{'model':<28} {'code':>4} {'pixel MSE':>10} {'L2/image':>9} {f'{n_neighbors}-NN acc.':>9}")
    for m in methods:
        mse = float(np.mean((m.outputs - test.images) ** 2))
        l2 = reload.mean_l2_error(m.outputs, test.images)
        accuracy = code_quality(m.train_codes, train.labels, m.test_codes, test.labels)
        print(f"{m.label:<28} {m.n_code:>4} {mse:>10.5f} {l2:>9.4f} {accuracy:>9.1%}")

    # 결과 확인: figures of the last checkpoint given, and of all of them by epoch
    pca, ae = pca_methods[last.n_code], ae_methods[-1]
    drawn = "" if last.n_code == 2 else f"\n(first 2 principal components of the {last.n_code}-D codes)"
    scatter = scatter_codes([(pca.label + drawn, in_2d(pca.test_codes)),
                             (f"{ae.label}, N_CODE={last.n_code}{drawn}", in_2d(ae.test_codes))],
                            test.labels, class_names(dataset))
    images = test.images[:sample_size]
    compare = figures.image_rows(
        [("test images", images), (pca.label, pca.outputs), (ae.label, ae.outputs)],
        f"Reconstructions: PCA and autoencoder, N_CODE={last.n_code}")
    outputs = [(scatter, "ae_vs_pca_codes.png"), (compare, "ae_vs_pca_reconstructions.png")]
    if len(models) > 1:
        by_epoch = figures.image_rows([("test images", images)] + [(m.label, m.outputs) for m in ae_methods],
                                      "Reconstructions of the same test images by checkpoint")
        outputs.append((by_epoch, "ae_vs_pca_epochs.png"))
    save_dir = args.save_dir or "."
    figures.finish_figures([(fig, os.path.join(save_dir, name)) for fig, name in outputs],
                           save=args.save_dir is not None, no_show=args.no_show)
    return 0


if __name__ == "__main__":
    cli.run(main)
