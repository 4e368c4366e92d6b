"""Figures that work with and without a screen.

Where matplotlib found a display, a figure is shown in a window; where it
found none (ssh, CI, a server) or where the user asked (`--save PATH`,
`--no-show`), it is written as a PNG and its path printed. Nothing waits
for a window that cannot open.
"""

import os
import sys

import matplotlib
import matplotlib.pyplot as plt
from matplotlib.backends import BackendFilter, backend_registry
from matplotlib.ticker import MaxNLocator


def add_figure_arguments(parser, default_path):
    """Adds --save PATH and --no-show; default_path may contain {logdir}."""
    group = parser.add_argument_group("figures")
    group.add_argument("--save", metavar="PATH", default=None,
                       help=f"write the figure to PATH as well (default: {default_path} "
                            "when there is no display or with --no-show)")
    group.add_argument("--no-show", action="store_true",
                       help="do not open a window; write the PNG instead")
    return group


def has_display():
    """True when matplotlib's backend opens windows (it picks Agg where there is no screen)."""
    interactive = backend_registry.list_builtin(BackendFilter.INTERACTIVE)
    return matplotlib.get_backend().lower() in {name.lower() for name in interactive}


def save_figure(fig, path):
    """Writes fig as a PNG at path (folders made as needed) and prints where."""
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    print(f"Figure saved: {path}", file=sys.stderr)
    return path


def finish_figure(fig, default_path, save=None, no_show=False):
    """Shows fig where there is a display; otherwise, or when asked, saves it.

    Returns the path written, or None when the figure was only shown.
    """
    path = None
    if save:
        path = save_figure(fig, save)
    elif no_show or not has_display():
        path = save_figure(fig, default_path)
    if not no_show and has_display():
        plt.show()
    plt.close(fig)
    return path


def loss_curve(epochs, train_costs, val_losses, title):
    """The slides' loss curve: training cost and validation loss against epoch."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    marker = "o" if len(epochs) < 30 else None
    ax.plot(epochs, train_costs, label="training cost", color="tab:blue", marker=marker)
    ax.plot(epochs, val_losses, label="validation loss", color="tab:orange", marker=marker)
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("mean per-image L2 error")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend()
    return fig
