"""Figures that work with and without a screen.

Where matplotlib found a display, a figure is shown in a window (in a
Jupyter notebook: below the cell); where it found none (ssh, CI, a server)
or where the user asked (`--save PATH`, `--no-show`), it is written as a
PNG and its path printed. Nothing waits for a window that cannot open.
"""

import os

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.backends import BackendFilter, backend_registry
from matplotlib.ticker import MaxNLocator

from aelab import LabError

MARKERS = "o^sDv<>phX"  # one per class, so classes differ without colour too


def add_figure_arguments(parser, default_path):
    """Adds --save PATH and --no-show; default_path is where the help says a PNG goes."""
    group = parser.add_argument_group("figures")
    group.add_argument("--save", metavar="PATH", default=None,
                       help=f"write the figure to PATH as well (default: {default_path} "
                            "when there is no display or with --no-show)")
    group.add_argument("--no-show", action="store_true",
                       help="do not open a window; write the PNG instead")
    return group


# Jupyter's backends: figures shown in the notebook, below the cell (inline) or as widgets.
NOTEBOOK_BACKENDS = ("module://matplotlib_inline.backend_inline", "module://ipympl.backend_nbagg",
                     "inline", "widget", "ipympl", "nbagg")


def has_display():
    """True when matplotlib's backend shows figures: in windows (it picks Agg where there is no
    screen) or in a Jupyter notebook."""
    backend = matplotlib.get_backend().lower()
    interactive = backend_registry.list_builtin(BackendFilter.INTERACTIVE)
    return backend in {name.lower() for name in interactive} or backend in NOTEBOOK_BACKENDS


class FigureError(LabError):
    """A figure could not be written; the message says where and what to do."""


def save_figure(fig, path):
    """Writes fig as a PNG at path (folders made as needed) and prints where."""
    folder = os.path.dirname(path)
    try:
        if folder:
            os.makedirs(folder, exist_ok=True)
        fig.savefig(path, dpi=100, bbox_inches="tight")
    except OSError as e:
        raise FigureError(f"could not write the figure {path} ({e.strerror}); name a place you "
                          f"can write to (--save, --save-dir)") from None
    print(f"Figure saved: {path}")
    return path


def finish_figures(figures_and_paths, save=False, no_show=False):
    """Shows the figures where there is a display; otherwise, or when asked, saves them.

    figures_and_paths: [(figure, PNG path)]. Returns the paths written.
    """
    written = []
    if save or no_show or not has_display():
        written = [save_figure(fig, path) for fig, path in figures_and_paths]
    if not no_show and has_display():
        plt.show()  # one window per figure, all at once
    for fig, _ in figures_and_paths:
        plt.close(fig)
    return written


def finish_figure(fig, default_path, save=None, no_show=False):
    """finish_figures for one figure: --save PATH, or default_path where nothing shows it."""
    return finish_figures([(fig, save or default_path)], save=bool(save), no_show=no_show)


def loss_curve(epochs, train_costs, val_losses, title, stages=None,
               ylabel="mean per-image L2 error", marks=None, parts=None):
    """The slides' loss curve: training cost and validation loss against epoch.

    stages: optional name of each epoch's training stage; marks: what to mark
    where it changes (default: the stages), with a dotted line and the name.
    ylabel: what the loss measures; parts: {name: (training values, validation
    values)} of the cost's parts (a VAE's reconstruction and KL), drawn below
    on a log scale.
    """
    if parts:
        fig, (ax, below) = plt.subplots(2, 1, figsize=(7, 7.5), sharex=True,
                                        gridspec_kw=dict(height_ratios=[3, 2]))
        _draw_parts(below, epochs, parts)
    else:
        fig, ax = plt.subplots(figsize=(7, 4.5))
    marker = "o" if len(epochs) < 30 else None
    layered = bool(stages) and len(set(stages)) > 1
    marks = marks or stages
    ax.plot(epochs, train_costs, color="tab:blue", marker=marker,
            label="training cost (of the stage trained)" if layered else "training cost")
    ax.plot(epochs, val_losses, label="validation loss", color="tab:orange", marker=marker)
    if marks and len(set(marks)) > 1:
        for i, mark in enumerate(marks):
            if i == 0 or mark != marks[i - 1]:
                ax.axvline(epochs[i] - 0.5, color="grey", linestyle=":", linewidth=1)
                ax.annotate(mark, (epochs[i] - 0.4, 1), xycoords=("data", "axes fraction"),
                            va="top", fontsize=8, color="dimgrey", rotation=90)
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend()
    if parts:
        ax.set_xlabel("")  # the parts' axes below say it
    return fig


def _draw_parts(ax, epochs, parts):
    """Each part's training (solid) and validation (dashed) values by epoch, in its own colour."""
    colours = plt.get_cmap("tab10")
    for k, (name, (train, val)) in enumerate(parts.items()):
        ax.plot(epochs, train, color=colours(k + 2), label=f"{name} (training)")
        ax.plot(epochs, val, color=colours(k + 2), linestyle="--", label=f"{name} (validation)")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("the cost's parts")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)


def image_rows(rows, title, signed=False):
    """A grid of 28x28 images, one labelled row per (label, images) pair.

    Images in [0, 1] are shown in grey; signed ones (weights, components) in
    blue and red around white, each scaled to its own largest magnitude.
    """
    n = len(rows[0][1])
    fig, axes = plt.subplots(len(rows), n, figsize=(1.6 + 0.9 * n, 0.5 + 0.95 * len(rows)),
                             squeeze=False)
    for r, (label, images) in enumerate(rows):
        for c in range(n):
            ax = axes[r][c]
            image = np.reshape(images[c], (28, 28))
            if signed:
                top = float(np.abs(image).max()) or 1.0
                ax.imshow(image, cmap="RdBu_r", vmin=-top, vmax=top)
            else:
                ax.imshow(image, cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r][0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    fig.suptitle(title)
    return fig


def mosaic(images, n_rows, n_cols):
    """n_rows x n_cols images of 784 pixels as one (28 n_rows, 28 n_cols) picture, row by row."""
    tiles = np.reshape(images, (n_rows, n_cols, 28, 28))
    return tiles.transpose(0, 2, 1, 3).reshape(n_rows * 28, n_cols * 28)


def in_2d(codes, like=None):
    """Codes as 2-D points: as they are when 2-wide, else projected on two principal components.

    like: codes whose first two principal components to use (default: these).
    """
    if codes.shape[1] <= 2:
        return codes if codes.shape[1] == 2 else np.hstack([codes, np.zeros_like(codes)])
    reference = codes if like is None else like
    mean = reference.mean(axis=0)
    _, _, components = np.linalg.svd(reference - mean, full_matrices=False)
    return (codes - mean) @ components[:2].T


def scatter_classes(ax, points, labels, names, size=4, alpha=0.6):
    """One colour and marker per class; labels index names."""
    colours = plt.get_cmap("tab10")
    for k, name in enumerate(names):
        mine = labels == k
        ax.scatter(points[mine, 0], points[mine, 1], s=size, alpha=alpha, color=colours(k),
                   marker=MARKERS[k], label=name)
    ax.grid(True, alpha=0.3)


def class_legend(ax, below=False):
    """The classes' legend, right of the axes (or below them)."""
    where = (dict(loc="upper center", bbox_to_anchor=(0.5, -0.07), ncol=5) if below
             else dict(loc="center left", bbox_to_anchor=(1, 0.5)))
    ax.legend(markerscale=3, fontsize=8, title="class", **where)
