"""Denoising autoencoder test (KCC 2019 lab, slide "디노이징 오토인코더 결과 예시").

    python dn_ae_test.py dn_mnist_autoencoder_hidden=2_logs

reloads a denoising autoencoder from its checkpoint (a run folder, a
checkpoint prefix or one of its files), damages the test images with the
training corruption (each pixel zeroed with probability 1/2, `--drop-prob`
to change), reconstructs them, prints the L2 error of the damaged input and
of the reconstruction against the clean images, and shows original /
corrupted / reconstructed rows. Given a plain deep autoencoder's checkpoint
as well, its reconstructions of the same damaged images form an extra row:

    python dn_ae_test.py dn_mnist_autoencoder_hidden=2_logs mnist_autoencoder_hidden=2_logs
"""

import argparse

from aelab import cli, figures, input_data, reload, runs  # first: TensorFlow starts quietly
import numpy as np

sample_size = 10  # test images shown
FIGURE_FILE = "dn_ae_test.png"


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Show how a trained denoising autoencoder fills in missing pixels.")
    parser.add_argument("checkpoint", metavar="CHECKPOINT",
                        help="the denoising autoencoder: a run folder (its latest checkpoint), a "
                             "checkpoint prefix such as DIR/model-checkpoint-0005-2750, or one of "
                             "its .index/.meta/.data files")
    parser.add_argument("plain", metavar="PLAIN_CHECKPOINT", nargs="?", default=None,
                        help="optionally, a plain deep autoencoder (autoencoder_mnist.py) to "
                             "compare on the same corrupted images")
    parser.add_argument("--drop-prob", type=float, default=0.5, metavar="P",
                        help="chance that each pixel is zeroed, as in training (default: 0.5)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the corruption, so reruns show the same images (default: 0)")
    cli.add_data_arguments(parser, recorded=True)
    figures.add_figure_arguments(parser, FIGURE_FILE)
    args = parser.parse_args(argv)
    if not 0 <= args.drop_prob <= 1:
        parser.error(f"argument --drop-prob: must be between 0 and 1, not {args.drop_prob}")
    return args


def main(argv=None):
    args = parse_args(argv)
    denoiser = reload.load(args.checkpoint, expect=(runs.DENOISING_AUTOENCODER,))
    plain = args.plain and reload.load(args.plain, expect=(runs.AUTOENCODER,))
    cli.use_recorded_data(args, denoiser.config)
    mnist = input_data.read_data_sets(args.data_dir, dataset=args.dataset,
                                      validation_size=args.validation_size)
    clean = mnist.test.images

    # 손상된 이미지 생성: the masking noise of corrupt_input, drawn once so that every
    # model below sees the very same damaged images.
    rng = np.random.RandomState(args.seed)
    corrupted = clean * (rng.uniform(size=clean.shape) >= args.drop_prob)
    rows = [("original", clean), (f"corrupted ({args.drop_prob:.0%} dropped)", corrupted)]
    print(f"L2 error against the clean test images (mean over {len(clean)}, "
          f"{args.drop_prob:.0%} of pixels zeroed):")
    print(f"  {'corrupted input':<32} {reload.mean_l2_error(corrupted, clean):8.4f}")
    for m in (denoiser, plain) if plain else (denoiser,):
        outputs = m.reconstruct(corrupted)
        print(f"  {m.label:<32} {reload.mean_l2_error(outputs, clean):8.4f}")
        rows.append((m.label, outputs))

    fig = figures.image_rows([(label, images[:sample_size]) for label, images in rows],
                             f"Denoising autoencoder, N_CODE={denoiser.n_code}: "
                             f"filling in missing pixels")
    figures.finish_figure(fig, FIGURE_FILE, save=args.save, no_show=args.no_show)
    return 0


if __name__ == "__main__":
    cli.run(main)
