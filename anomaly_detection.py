"""Anomaly detection with an autoencoder (the tutorial's 활용, its application).

    python anomaly_detection.py --normal-class 1 --data-dir /usr/share/datasets/fashion-mnist

trains an autoencoder on the training images of one class only (the "normal" one), then
scores every test image by how badly the model reconstructs it: the other classes, which it
never saw, should score higher. It prints

    AUROC (class 1 normal): autoencoder 0.9123, PCA 0.9051

the area under the ROC curve of "not class 1" against the score, beside PCA's with as many
components as the code has, fitted on the same images. `--all-classes` takes each class in
turn and ends with the ten lines and `mean AUROC: autoencoder 0.9012, PCA 0.8980`: the
one-class protocol of the anomaly detection papers.

The model is trained by its kind's own script (`--kind`, the deep autoencoder of
autoencoder_mnist.py by default), run as `python autoencoder_mnist.py N_CODE --train-class 1
--logdir DIR/class=1` would run it: the usual run folder, a checkpoint per epoch, Ctrl-C, and
the same command resumes, or, when a class is trained already, reuses it. Options this script
does not know go to that script (`--loss cross-entropy`, `--steps-per-epoch 5`, ...).
Beside each class's run (DIR/class=K/): the ROC curves, the most and least anomalous test
images, the score distributions with the TF tutorial's threshold, and the scores as a CSV
(index, label, score, pca_score), from which anyone can recompute the AUROC.

`--score smoothed` scores the model and PCA alike by their error image blurred over
neighbouring pixels, each pixel in units of its usual error on the class's training images
(aelab/anomaly.py); a rerun with it reuses the trained classes and writes its own files
(anomaly_roc_smoothed_epoch0020.png, ..., DIR/auroc_smoothed.csv).
"""

import aelab.quiet_tensorflow  # TensorFlow starts without its start-up lines, in graph mode

import argparse
import csv
import importlib
import os

from aelab import anomaly, argtypes, cli, figures, input_data, kinds, reload

# 옵션 설정: chosen by measurement on Fashion-MNIST (docs/anomaly.md): one class's ~5,500
# images need a higher learning rate and more steps per epoch than the slides' 55,000
n_code = 32
training_epochs = 20
learning_rate = 0.005
batch_size = 50


def parse_args(argv):
    parser = argparse.ArgumentParser(
        allow_abbrev=False,
        description="One-class anomaly detection: train an autoencoder on one class's images, "
                    "score every test image by its reconstruction error, and print the AUROC "
                    "beside PCA's. Other options go to the kind's training script.")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--normal-class", metavar="K", type=input_data.label,
                       help="the class trained on; the test images of every other class are the "
                            "anomalies")
    which.add_argument("--all-classes", action="store_true",
                       help="each class in turn, then the ten AUROCs and their mean")
    parser.add_argument("--kind", metavar="NAME", choices=sorted(kinds.REGISTRY),
                        default=kinds.AUTOENCODER.name,
                        help=f"the model, by the name its run folder records: "
                             f"{', '.join(sorted(kinds.REGISTRY))} (default: autoencoder, the "
                             f"slides' deep autoencoder)")
    parser.add_argument("--n-code", metavar="N", type=argtypes.positive_int, default=n_code,
                        help=f"size of the code, and PCA's components (default: {n_code})")
    parser.add_argument("--epochs", metavar="N", type=argtypes.positive_int, default=training_epochs,
                        help=f"epochs of each class (default: {training_epochs})")
    parser.add_argument("--learning-rate", metavar="LR", type=argtypes.positive_float,
                        default=learning_rate,
                        help=f"the optimiser's learning rate (default: {learning_rate})")
    parser.add_argument("--batch-size", metavar="N", type=argtypes.positive_int, default=batch_size,
                        help=f"images per training step (default: {batch_size})")
    parser.add_argument("--score", choices=sorted(anomaly.SCORES), default="error",
                        help="the model's and PCA's score: error, the squared reconstruction error "
                             "(a VAE: its negative ELBO), or smoothed, the error blurred over a "
                             "pixel's neighbours and each pixel counted in units of its usual "
                             "error on the training images (default: error)")
    parser.add_argument("--seed", type=argtypes.seed, default=None,
                        help="random seed of each class's training (default: none, runs differ)")
    parser.add_argument("--logdir", metavar="DIR", default=None,
                        help="folder of the runs, one class=K folder each (default: "
                             "anomaly_<the kind's run folder>)")
    parser.add_argument("--no-show", action="store_true",
                        help="do not open windows; the PNGs are written beside each run anyway")
    input_data.add_data_arguments(parser)
    args, args.training_options = parser.parse_known_args(argv)
    args.kind = kinds.get(args.kind)
    args.logdir = args.logdir or "anomaly_" + args.kind.default_logdir(args.n_code)
    return args


def train_class(args, normal):
    """신경망 모델 학습: the kind's own script on class `normal`'s images; its exit status."""
    script = importlib.import_module(os.path.splitext(args.kind.script)[0])
    data = ["--dataset", args.dataset, "--validation-size", args.validation_size]
    data += ["--data-dir", args.data_dir] if args.data_dir else []
    data += ["--seed", args.seed] if args.seed is not None else []
    # a kind that shares its script with the plain model (the convolutional denoising one): the
    # slides' masking noise, unless the options say another level
    corrupt = ["--corruption", 0.5] if args.kind.corrupted and "--corruption" not in args.training_options else []
    argv = [args.n_code, "--train-class", normal, "--logdir", class_folder(args, normal), *corrupt,
            "--epochs", args.epochs, "--learning-rate", args.learning_rate, "--batch-size",
            args.batch_size, "--no-show", *data, *args.training_options]
    return script.main([str(a) for a in argv])


def named(args, name):
    """A file's name for args.score: `anomaly_roc`, or `anomaly_roc_smoothed` for another score."""
    return name if args.score == "error" else f"{name}_{args.score}"


def class_folder(args, normal):
    return os.path.join(args.logdir, f"class={normal}")


def detect(args, normal, mnist):
    """결과 확인: the trained model and PCA score the test images; the pictures and the CSV.

    Returns (the model's Detection, PCA's)."""
    model = reload.load(class_folder(args, normal), expect=(args.kind,))
    train = input_data.only_class(mnist.train.images, mnist.train.labels, normal)[0]
    test = mnist.test
    pca_train, pca_test = anomaly.pca_scores(train, test.images, model.n_code, args.score)
    measure = anomaly.SCORES[args.score][1]
    own = args.score == "error" and args.kind.score is not None  # a VAE's negative ELBO
    if args.score == "error":  # the kind's own graph, in batches
        model_train, model_test = model.score(train), model.score(test.images)
    else:
        model_train, model_test = anomaly.scores(args.score, train, model.reconstruct(train),
                                                 test.images, model.reconstruct(test.images))
    detections = (anomaly.Detection(args.kind.name, normal, test.labels, model_test, model_train,
                                    args.kind.learns["loss"] if own else measure),
                  anomaly.Detection("PCA", normal, test.labels, pca_test, pca_train, measure))
    dataset = input_data.dataset_shown(args.dataset, args.data_dir)
    names = input_data.CLASS_NAMES[dataset]
    called = f" ({names[normal]})" if names[normal] != str(normal) else ""
    what = (f"{input_data.SOURCES[dataset].title}, class {normal}{called} normal: "
            f"{model.label}, N_CODE={model.n_code}; PCA of {model.n_code} components")
    outputs = [(anomaly.roc_figure(detections, f"ROC curves: {what}"), "anomaly_roc"),
               (anomaly.extremes_figure(detections[0], test.images, names, f"Test images by "
                                        f"{args.kind.name} score: {what}"), "anomaly_images"),
               (anomaly.distribution_figure(detections, f"Test scores: {what}"), "anomaly_scores")]
    figures.finish_figures([(fig, reload.figure_path(model, named(args, name))) for fig, name in outputs],
                           save=True, no_show=args.no_show or args.all_classes)
    scores = reload.figure_path(model, named(args, "anomaly_scores"))
    anomaly.write_scores(scores[:-len(".png")] + ".csv", *detections)
    return detections


def write_table(args, results):
    """DIR/auroc.csv (auroc_smoothed.csv for --score smoothed): each class's AUROC, the model's
    and PCA's."""
    rows = [["normal_class", args.kind.name, "PCA"]]
    rows += [[model.normal, f"{model.auroc:.4f}", f"{pca.auroc:.4f}"] for model, pca in results]
    path = os.path.join(args.logdir, named(args, "auroc") + ".csv")
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    print(f"AUROCs saved: {path}")


def main(argv=None):
    args = parse_args(argv)
    mnist = input_data.read_data_sets(args.data_dir, dataset=args.dataset,
                                      validation_size=args.validation_size)
    results = []
    for normal in range(input_data.NUM_CLASSES) if args.all_classes else [args.normal_class]:
        status = train_class(args, normal)
        if status:  # stopped (Ctrl-C) or failed: the same command resumes this class
            return status
        results.append(detect(args, normal, mnist))
        if not args.all_classes:
            print(anomaly.auroc_line(normal, *results[-1]))
    if args.all_classes:
        write_table(args, results)
        for model, pca in results:
            print(anomaly.auroc_line(model.normal, model, pca))
        print(anomaly.mean_line(results))
    return 0


if __name__ == "__main__":
    cli.run(main)
