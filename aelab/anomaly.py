"""One-class anomaly detection, for anomaly_detection.py: scores, AUROC, the threshold, the pictures.

A model trained on the images of one class (the "normal" one) scores every test image; the
other classes are the anomalies. How well a score separates them, whatever threshold is
chosen, is the area under the ROC curve (AUROC: the chance that a random anomalous image
scores above a random normal one; 0.5 is chance, 1 perfect). PCA, with as many components as
the code has, fitted on the same images and scored the same way, is the baseline. The score
(SCORES) is the squared reconstruction error, or the smoothed one (smoothed_error).
The TF tutorial's threshold (the training error's mean plus one standard deviation) turns a
score into a decision, with its precision and recall, the anomalous images being the positives.

The scores are written to a CSV (index, label, score, pca_score) so that anyone can recompute
the AUROC: `roc_auc_score(label != K, score)`.
"""

import csv
import dataclasses

import matplotlib.pyplot as plt
import numpy as np
from scipy import ndimage
from sklearn.decomposition import PCA
from sklearn.metrics import roc_auc_score, roc_curve

SCORES_FIELDS = ["index", "label", "score", "pca_score"]
EXTREMES = 10  # the most and the least anomalous test images shown
SMOOTHING = 1.0  # --score smoothed: the Gaussian's standard deviation, in pixels
FLOOR = 1e-3  # of the mean usual error, added to each pixel's: a pixel never wrong divides by no 0


def squared_error(train_images, train_outputs):
    """--score error: each image's squared distance from its reconstruction."""
    return lambda images, outputs: np.sum((outputs - images) ** 2, axis=1)


def smoothed_error(train_images, train_outputs):
    """--score smoothed, fitted on the normal class's training images and their reconstructions.

    The error image is blurred (a Gaussian of SMOOTHING pixels), so that an error spread over
    a region (a missing sleeve, a handle) weighs more than the same error scattered over single
    pixels; each pixel's squared blurred error is then counted in units of its usual size on
    the training images, so that a pixel the model always gets a little wrong (a print, an
    edge) weighs less than one it always gets right.
    """
    def blurred(images, outputs):
        error = (outputs - images).reshape(-1, 28, 28)
        sigma = (0, SMOOTHING, SMOOTHING)  # not across images
        return ndimage.gaussian_filter(error, sigma, mode="constant").reshape(len(images), -1) ** 2
    usual = np.mean(blurred(train_images, train_outputs), axis=0)
    usual += FLOOR * np.mean(usual)
    return lambda images, outputs: np.sum(blurred(images, outputs) / usual, axis=1)


SCORES = {"error": (squared_error, "squared reconstruction error"),
          "smoothed": (smoothed_error, "smoothed error, in units of its usual size")}


def scores(score, train_images, train_outputs, images, outputs):
    """(the training images' scores, the images') by SCORES[score], fitted on the training ones."""
    fitted = SCORES[score][0](train_images, train_outputs)
    return fitted(train_images, train_outputs), fitted(images, outputs)


def pca_scores(train_images, images, n_components, score="error"):
    """PCA of n_components fitted on train_images: (its training scores, the images' scores),
    each by the score the model's are (SCORES). An exact SVD: the same numbers on every run."""
    pca = PCA(n_components=n_components, svd_solver="full").fit(train_images)

    def reconstruct(x):
        return pca.inverse_transform(pca.transform(x))
    return scores(score, train_images, reconstruct(train_images), images, reconstruct(images))


@dataclasses.dataclass
class Detection:
    """What one score makes of the test set, class `normal` being normal.

    train_scores: the scores of the normal training images (the threshold's); scores: of the
    test images, whose labels are `labels`; measure: what the score is.
    """

    name: str
    normal: int
    labels: np.ndarray
    scores: np.ndarray
    train_scores: np.ndarray
    measure: str = "squared reconstruction error"

    @property
    def anomalous(self):
        """The test images of another class: the positives."""
        return self.labels != self.normal

    @property
    def auroc(self):
        return float(roc_auc_score(self.anomalous, self.scores))

    @property
    def threshold(self):
        """The TF tutorial's: the training error's mean plus one standard deviation."""
        return float(np.mean(self.train_scores) + np.std(self.train_scores))

    def precision_recall(self):
        """(precision, recall) of "anomalous where the score is above the threshold"."""
        flagged = self.scores > self.threshold
        hits = np.sum(flagged & self.anomalous)
        return hits / max(np.sum(flagged), 1), hits / max(np.sum(self.anomalous), 1)


def write_scores(path, model, pca):
    """The CSV of every test image's index, label and scores (the model's and PCA's)."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(SCORES_FIELDS)
        writer.writerows([i, int(label), repr(float(score)), repr(float(baseline))] for i, (label, score, baseline)
                         in enumerate(zip(model.labels, model.scores, pca.scores)))
    print(f"Scores saved: {path}")
    return path


def auroc_line(normal, model, pca):
    """`AUROC (class 1 normal): autoencoder 0.9123, PCA 0.9051`"""
    return f"AUROC (class {normal} normal): {model.name} {model.auroc:.4f}, PCA {pca.auroc:.4f}"


def mean_line(results):
    """`mean AUROC: autoencoder 0.9012, PCA 0.8980` over [(model, pca)] of each class."""
    model = np.mean([m.auroc for m, _ in results])
    pca = np.mean([p.auroc for _, p in results])
    return f"mean AUROC: {results[0][0].name} {model:.4f}, PCA {pca:.4f}"


def roc_figure(detections, title):
    """The ROC curves of each detection (the model's and PCA's), with chance's diagonal."""
    fig, ax = plt.subplots(figsize=(5.5, 5.2))
    for detection in detections:
        false_positive, true_positive, _ = roc_curve(detection.anomalous, detection.scores)
        ax.plot(false_positive, true_positive, label=f"{detection.name} (AUROC {detection.auroc:.4f})")
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="chance (AUROC 0.5)")
    ax.set_xlabel("false positive rate: normal images flagged")
    ax.set_ylabel("true positive rate: anomalous images flagged")
    ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right")
    return fig


def extremes_figure(detection, images, names, title):
    """The test images the score finds most and least anomalous, each with its score and class."""
    order = np.argsort(detection.scores)
    fig, axes = plt.subplots(2, EXTREMES, figsize=(1.6 + 1.05 * EXTREMES, 3.8), squeeze=False,
                             layout="constrained")
    rows = (("most\nanomalous", order[::-1][:EXTREMES]), ("least\nanomalous", order[:EXTREMES]))
    for r, (label, picked) in enumerate(rows):
        for ax, i in zip(axes[r], picked):
            ax.imshow(images[i].reshape(28, 28), cmap="gray", vmin=0, vmax=1)
            ax.set_title(f"{names[detection.labels[i]]}\n{detection.scores[i]:.3g}", fontsize=7,
                         color="black" if detection.labels[i] == detection.normal else "tab:red")
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r][0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    fig.suptitle(title + "\n(class and score above each; red: another class than the normal one)",
                 fontsize=10)
    return fig


def distribution_figure(detections, title):
    """Each detection's scores of normal and anomalous test images, with the threshold and the
    precision and recall it gives (anomalous images are the positives)."""
    fig, axes = plt.subplots(1, len(detections), figsize=(6 * len(detections), 4.4), squeeze=False,
                             layout="constrained")
    for ax, detection in zip(axes[0], detections):
        top = np.percentile(detection.scores, 99.5)  # a few extreme scores would squash the rest
        bins = np.linspace(min(detection.scores.min(), detection.threshold), top, 60)
        for picked, label, colour in ((~detection.anomalous, "normal (class "
                                       f"{detection.normal})", "tab:blue"),
                                      (detection.anomalous, "anomalous (other classes)", "tab:red")):
            ax.hist(np.minimum(detection.scores[picked], top), bins=bins, density=True, alpha=0.5,
                    label=label, color=colour)
        precision, recall = detection.precision_recall()
        ax.axvline(detection.threshold, color="black", linestyle="--",
                   label=f"threshold {detection.threshold:.3g} (training mean + 1 std)\n"
                         f"positive = anomalous: precision {precision:.3f}, recall {recall:.3f}")
        ax.set_xlabel(f"{detection.name} score: {detection.measure}\n(the last bin holds the top 0.5%)")
        ax.set_ylabel("density")
        ax.set_title(f"{detection.name}: AUROC {detection.auroc:.4f}", fontsize=10)
        ax.legend(fontsize=8, loc="upper right")
    fig.suptitle(title, fontsize=10)
    return fig
