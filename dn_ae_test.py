"""Denoising autoencoder test (KCC 2019 lab, slide "디노이징 오토인코더 결과 예시").

    python dn_ae_test.py dn_mnist_autoencoder_hidden=2_logs

reloads a denoising autoencoder from its checkpoint (a run folder, a
checkpoint prefix or one of its files), damages the test images with its
training corruption (each pixel zeroed with probability 1/2, or the model's
own --corruption level; `--corruption` here to change), reconstructs them,
prints the L2 error of the damaged input and of the reconstruction against
the clean images, and shows original / corrupted / reconstructed rows. It
also prints how far the damage moves each image's code, relative to the
spread of the codes, and draws the clean and damaged codes (slides
"manifold perspective": a denoising autoencoder projects damaged images back
to where the clean ones lie). Given a plain deep autoencoder's checkpoint as
well, its reconstructions and codes of the same damaged images come beside:

    python dn_ae_test.py dn_mnist_autoencoder_hidden=2_logs mnist_autoencoder_hidden=2_logs

The convolutional denoising autoencoder (conv_autoencoder_mnist.py
--corruption NU) reloads the same way, beside a plain convolutional one or a
deep one:

    python dn_ae_test.py dn_conv_mnist_autoencoder_hidden=2_logs conv_mnist_autoencoder_hidden=2_logs
"""

import aelab.quiet_tensorflow  # TensorFlow starts without its start-up lines, in graph mode

import argparse

import matplotlib.pyplot as plt
import numpy as np

from aelab import argtypes, cli, figures, input_data, kinds, reload

sample_size = 10  # test images shown
DENOISERS = (kinds.DENOISING_AUTOENCODER, kinds.CONV_DENOISING_AUTOENCODER)
PLAIN = (kinds.AUTOENCODER, kinds.CONV_AUTOENCODER)
shown_pairs = 300  # test images whose clean and corrupted codes are joined in the code figure


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Show how a trained denoising autoencoder fills in missing pixels and "
                    "projects damaged images back to where the clean ones lie.")
    parser.add_argument("checkpoint", metavar="CHECKPOINT",
                        help="the denoising autoencoder: a run folder (its latest checkpoint), a "
                             "checkpoint prefix such as DIR/model-checkpoint-0005-2750, or one of "
                             "its .index/.meta/.data files")
    parser.add_argument("plain", metavar="PLAIN_CHECKPOINT", nargs="?", default=None,
                        help="optionally, a plain deep or convolutional autoencoder "
                             "(autoencoder_mnist.py, conv_autoencoder_mnist.py) to compare on "
                             "the same corrupted images")
    parser.add_argument("--corruption", "--drop-prob", dest="corruption", type=argtypes.probability,
                        default=None, metavar="NU",
                        help="share of the pixels zeroed (default: the level the model was "
                             "trained with, 0.5 unless its --corruption said otherwise)")
    parser.add_argument("--seed", type=argtypes.seed, default=0,
                        help="seed of the corruption, so reruns show the same images (default: 0)")
    input_data.add_data_arguments(parser, recorded=True)
    reload.add_figure_arguments(parser)
    return parser.parse_args(argv)


def code_shift(m, clean, corrupted):
    """The model's codes of both, and how far damage moves a code relative to the codes' spread.

    Returns (clean codes, corrupted codes, mean distance from each corrupted image's code to
    its clean image's code divided by the mean distance of the clean codes from their mean).
    """
    codes, damaged = m.encode(clean), m.encode(corrupted)
    spread = np.mean(np.linalg.norm(codes - codes.mean(axis=0), axis=1))
    return codes, damaged, float(np.mean(np.linalg.norm(damaged - codes, axis=1)) / spread)


def codes_figure(panels, labels, names):
    """Per model: the clean test codes, and lines from some corrupted images' codes to their clean ones."""
    fig, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 6), squeeze=False)
    for ax, (title, codes, damaged) in zip(axes[0], panels):
        points = figures.in_2d(np.vstack([codes, damaged]), like=codes)
        clean, moved = points[:len(codes)], points[len(codes):]
        figures.scatter_classes(ax, clean, labels, names, size=3, alpha=0.4)
        for i in range(min(shown_pairs, len(codes))):
            ax.plot([moved[i, 0], clean[i, 0]], [moved[i, 1], clean[i, 1]], color="black",
                    linewidth=0.5, alpha=0.5)
        ax.scatter(moved[:shown_pairs, 0], moved[:shown_pairs, 1], s=8, color="black",
                   marker="x", label="corrupted image's code")
        ax.set_title(title, fontsize=10)
    figures.class_legend(axes[0][-1])
    fig.suptitle(f"Codes of clean test images, and where corrupting {shown_pairs} of them "
                 f"moves their codes (black)")
    return fig


def main(argv=None):
    args = parse_args(argv)
    denoiser = reload.load(args.checkpoint, expect=DENOISERS)
    plain = args.plain and reload.load(args.plain, expect=PLAIN)
    models = (denoiser, plain) if plain else (denoiser,)
    input_data.use_recorded_data(args, denoiser.config)
    mnist = input_data.read_data_sets(args.data_dir, dataset=args.dataset,
                                      validation_size=args.validation_size)
    clean = mnist.test.images
    corruption = denoiser.config.get("corruption", 0.5) if args.corruption is None else args.corruption
    level = f"{corruption:.0%} of pixels zeroed, " + (
        "as the model was trained" if args.corruption is None else "--corruption")

    # 손상된 이미지 생성: the masking noise of corrupt_input, drawn once so that every
    # model below sees the very same damaged images.
    rng = np.random.RandomState(args.seed)
    corrupted = clean * (rng.uniform(size=clean.shape) >= corruption)
    rows = [("original", clean), (f"corrupted ({corruption:.0%} dropped)", corrupted)]
    print(f"L2 error against the clean test images (mean over {len(clean)}, {level}):")
    width = max(32, *(len(m.label) + 1 for m in models))
    print(f"  {'corrupted input':<{width}} {reload.mean_l2_error(corrupted, clean):8.4f}")
    for m in models:
        outputs = m.reconstruct(corrupted)
        print(f"  {m.label:<{width}} {reload.mean_l2_error(outputs, clean):8.4f}")
        rows.append((m.label, outputs))

    # Projecting back onto the manifold: how far corruption moves an image's code
    print("How far corruption moves the code (mean distance from a corrupted image's code to "
          "its clean image's code, relative to the spread of the clean codes):")
    panels = []
    for m in models:
        codes, damaged, shift = code_shift(m, clean, corrupted)
        print(f"  {m.label:<{width}} {shift:8.4f}")
        panels.append((f"{m.label}: moved {shift:.2f} of the spread", codes, damaged))

    fig = figures.image_rows([(label, images[:sample_size]) for label, images in rows],
                             f"{denoiser.kind.title.capitalize()}, N_CODE={denoiser.n_code}: filling in "
                             f"missing pixels of {input_data.dataset_title(args.dataset, args.data_dir)} "
                             f"test images")
    names = input_data.CLASS_NAMES[input_data.dataset_shown(args.dataset, args.data_dir)]
    figures.finish_figures(
        [(fig, reload.figure_path(denoiser, "dn_ae_test", args.save_dir)),
         (codes_figure(panels, mnist.test.labels, names),
          reload.figure_path(denoiser, "dn_ae_test_codes", args.save_dir))],
        save=args.save_dir is not None, no_show=args.no_show)
    return 0


if __name__ == "__main__":
    cli.run(main)
