"""Command-line pieces the scripts share: the training options, and running main as a script."""

import math
import os
import signal
import sys

from aelab import input_data
from aelab.argtypes import positive_float, positive_int, seed

KOREAN = "최적화 완료!"  # what the basic autoencoder prints last


def add_training_arguments(parser, epochs, batch_size, learning_rate, seed_help=None,
                           resumes=False):
    """Adds the options every training script takes, with the script's defaults.

    resumes: the script resumes runs, whose data a resume reads unless told otherwise
    (runs.use_recorded_data).
    """
    group = parser.add_argument_group("training")
    group.add_argument("--epochs", type=positive_int, default=epochs, metavar="N",
                       help=f"epochs to train (default: {epochs})")
    group.add_argument("--batch-size", type=positive_int, default=batch_size, metavar="N",
                       help=f"images per training step (default: {batch_size})")
    group.add_argument("--learning-rate", type=positive_float, default=learning_rate,
                       metavar="LR", help=f"optimiser learning rate (default: {learning_rate})")
    group.add_argument("--seed", type=seed, default=None,
                       help=seed_help or "random seed for weights, batches and noise "
                                         "(default: none, each run differs)")
    group.add_argument("--steps-per-epoch", type=positive_int, default=math.inf, metavar="N",
                       help="train only N steps per epoch, for a quick demo or smoke test "
                            "(default: the whole training set, 550 steps for MNIST at batch 100)")
    input_data.add_data_arguments(parser, input_data.RESUMED if resumes else None)
    return group


def _can_write(stream, text):
    try:
        text.encode(stream.encoding or "ascii", stream.errors or "strict")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def prepare_output():
    """Sets up stdout and stderr for the slides' lines, wherever they go.

    stdout is line-buffered, so a line shows when it is printed, in a pipe too.
    Where a stream cannot write Korean (a pipe or file outside a Korean locale:
    English Windows, Git Bash, CI logs), it writes UTF-8 instead, or, where
    PYTHONIOENCODING names an encoding, escapes what that encoding lacks. A
    stream that cannot be reconfigured (Jupyter's, IDLE's, Spyder's) takes any
    text already and is left as it is.
    """
    for stream in (sys.stdout, sys.stderr):
        if not hasattr(stream, "reconfigure"):
            continue
        if not _can_write(stream, KOREAN):
            if os.environ.get("PYTHONIOENCODING"):
                stream.reconfigure(errors="backslashreplace")
            else:
                stream.reconfigure(encoding="utf-8")
        if stream is sys.stdout:
            stream.reconfigure(line_buffering=True)


INTERRUPTED = 128 + signal.SIGINT  # 130: the exit status of a program stopped by Ctrl-C


def _ipython():
    ipython = getattr(sys.modules.get("IPython"), "get_ipython", None)
    return ipython and ipython()


def in_a_kernel():
    """True inside IPython or a Jupyter kernel (a script run there with %run, say)."""
    return bool(_ipython())


def in_jupyter():
    """True in a Jupyter kernel: a notebook's cell, whose stop button is ■ (IPython in a terminal
    is stopped with Ctrl-C)."""
    return getattr(_ipython(), "kernel", None) is not None


class CellStopped(KeyboardInterrupt):
    """Ends a notebook cell whose script was stopped (■), as an error: Jupyter then stops "Run
    All" there, so that the cells below do not run on a half-trained model. IPython shows it
    as its one line (_render_traceback_), not as a traceback."""

    def __init__(self):
        super().__init__("■ stopped this cell; the cells below it do not run (Run All stops here)")

    def _render_traceback_(self):
        return [f"KeyboardInterrupt: {self}"]


def stop_the_cell():
    """Raises CellStopped so that the cell running this script ends as an error.

    `%run` shows what a script raises and then ends its cell as if all went well,
    so the cell's result is marked failed too, when IPython hands it over
    (its post_run_cell event), before the kernel replies: the error that
    makes Jupyter leave the cells queued after it unrun.
    """
    stopped, shell = CellStopped(), _ipython()

    def mark_failed(result):
        shell.events.unregister("post_run_cell", mark_failed)
        if result is not None and result.error_in_exec is None:
            result.error_in_exec = stopped
    shell.events.register("post_run_cell", mark_failed)
    raise stopped


def run(main):
    """Runs main() as a script: output set up for Korean, Ctrl-C outside training ends quietly.

    From a shell, the program ends with main's exit status. In a Jupyter kernel
    (`%run autoencoder_mnist.py 2`) the kernel goes on: a failed run says its
    one line, and the status is returned instead of ending anything; a run
    stopped by ■ (or Ctrl-C) ends its cell as an error (stop_the_cell).
    """
    prepare_output()
    try:
        status = main()
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        status = INTERRUPTED
    except SystemExit as e:  # a LabError's one line, or a usage error's status
        if not in_a_kernel():
            raise
        if e.code is not None and not isinstance(e.code, int):
            print(e.code, file=sys.stderr)
        status = e.code if isinstance(e.code, int) else 1
    if not in_a_kernel():
        sys.exit(status)
    if status == INTERRUPTED and in_jupyter():
        stop_the_cell()
    return status
