"""Command-line pieces the scripts share: options, the step watch (progress, Ctrl-C, NaN), running main."""

import argparse
import math
import signal
import sys

import tensorflow.compat.v1 as tf

from aelab import input_data

RECORDED = "the one recorded beside the checkpoint"


def positive_int(text):
    """argparse type: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text!r}")
    return value


def positive_float(text):
    """argparse type: a number above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text!r}")
    return value


def probability(text):
    """argparse type: a number from 0 up to, not including, 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to below 1, not {text!r}") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to below 1, not {text!r}")
    return value


def add_training_arguments(parser, epochs, batch_size, learning_rate, seed_help=None):
    """Adds the options every training script takes, with the script's defaults."""
    group = parser.add_argument_group("training")
    group.add_argument("--epochs", type=positive_int, default=epochs, metavar="N",
                       help=f"epochs to train (default: {epochs})")
    group.add_argument("--batch-size", type=positive_int, default=batch_size, metavar="N",
                       help=f"images per training step (default: {batch_size})")
    group.add_argument("--learning-rate", type=positive_float, default=learning_rate,
                       metavar="LR", help=f"optimiser learning rate (default: {learning_rate})")
    group.add_argument("--seed", type=int, default=None,
                       help=seed_help or "random seed for weights, batches and noise "
                                         "(default: none, each run differs)")
    group.add_argument("--steps-per-epoch", type=positive_int, default=math.inf, metavar="N",
                       help="train only N steps per epoch, for a quick demo or smoke test "
                            "(default: the whole training set, 550 steps for MNIST at batch 100)")
    add_data_arguments(parser)
    return group


def add_data_arguments(parser, recorded=False):
    """Adds --dataset, --data-dir and --validation-size, the data options of every script.

    recorded: the defaults are those recorded beside a checkpoint (reload
    scripts); call use_recorded_data once the checkpoint's config is known.
    """
    group = parser.add_argument_group("data")
    folders = "; ".join(f"{name}: {' or '.join(source.default_dirs)}"
                        for name, source in input_data.SOURCES.items())
    group.add_argument("--dataset", choices=sorted(input_data.SOURCES),
                       default=None if recorded else input_data.DEFAULT_DATASET,
                       help=f"which images to download when --data-dir lacks them (default: "
                            f"{RECORDED if recorded else input_data.DEFAULT_DATASET})")
    group.add_argument("--data-dir", metavar="DIR", default=None,
                       help=f"folder with the four IDX files (default: "
                            f"{RECORDED if recorded else folders})")
    group.add_argument("--validation-size", metavar="N", type=int,
                       default=None if recorded else input_data.DEFAULT_VALIDATION_SIZE,
                       help=f"first N training images held out for validation (default: "
                            f"{RECORDED if recorded else input_data.DEFAULT_VALIDATION_SIZE})")
    return group


def use_recorded_data(args, config):
    """Fills in the data options a reload script was not given from a checkpoint's config.

    Where neither --dataset nor --data-dir is given, the data recorded there is
    meant; its validation size is kept unless --validation-size is given.
    """
    if not (args.dataset or args.data_dir):
        args.dataset, args.data_dir = config.get("dataset"), config.get("data_dir")
    args.dataset = args.dataset or input_data.DEFAULT_DATASET
    if args.validation_size is None:
        args.validation_size = config.get("validation_size", input_data.DEFAULT_VALIDATION_SIZE)


def check_batch_size(batch_size, train_set):
    """Stops with a clear line when a batch would not fit in the training set."""
    if batch_size > train_set.num_examples:
        raise input_data.DataError(
            f"--batch-size {batch_size} is larger than the training set "
            f"({train_set.num_examples} images); use a smaller one")


class Progress:
    """A progress bar for one epoch on stderr, drawn only when stderr is a terminal."""

    def __init__(self, total, label, every=10):
        self.total, self.label, self.every = total, label, every
        self.enabled = sys.stderr.isatty()

    def update(self, step, cost_value):
        if self.enabled and (step % self.every == 0 or step == self.total):
            done = 30 * step // self.total
            sys.stderr.write(f"\r{self.label} [{'#' * done}{'.' * (30 - done)}] "
                             f"{step}/{self.total} cost {cost_value:.4f}")
            sys.stderr.flush()

    def close(self):
        if self.enabled:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


class Stop(Exception):
    """Raised by Steps at a safe point to end its `with` block: Ctrl-C, or a cost that is not a number."""


class Steps:
    """What a training loop checks after each step: Ctrl-C, a cost that is not a number, progress.

    Use it as a context manager around the loop. Inside, the first Ctrl-C
    (SIGINT) only asks to stop; the next `step_done` (or `check`) then ends
    the `with` block, and `stopped` says why: "interrupted", or "diverged"
    when the cost was not finite (`bad_cost`). A second Ctrl-C raises
    KeyboardInterrupt as usual, for a user who cannot wait. Every
    `total_batch` steps make an epoch, with its own progress bar labelled
    `label` and the epoch's number.
    """

    def __init__(self, total_batch, label="Epoch", epoch=0):
        self.total_batch, self.label = total_batch, label
        self.epoch = epoch     # the epoch under way (1-based), or the last one done
        self.step = 0          # steps done in all
        self.in_epoch = 0      # steps done in the current epoch
        self.stopped = None
        self.bad_cost = None
        self._cost_sum = 0.0
        self._progress = None
        self._previous_handler = None

    def _interrupt(self, signum, frame):
        if self.stopped == "interrupted":
            raise KeyboardInterrupt
        self.stopped = "interrupted"
        print("\nStopping at the end of this step (Ctrl-C again to force)...",
              file=sys.stderr, flush=True)

    def __enter__(self):
        self._previous_handler = signal.signal(signal.SIGINT, self._interrupt)
        return self

    def __exit__(self, kind, value, traceback):
        self._end_progress()
        signal.signal(signal.SIGINT, self._previous_handler)
        return kind is Stop

    def step_done(self, new_cost):
        """Counts a finished step and draws the progress bar; ends the block if the run must stop."""
        if self.in_epoch in (0, self.total_batch):
            self.epoch, self.in_epoch, self._cost_sum = self.epoch + 1, 0, 0.0
            self._progress = Progress(self.total_batch, f"{self.label} {self.epoch:04d}")
        self.step += 1
        self.in_epoch += 1
        self._cost_sum += new_cost
        if not math.isfinite(new_cost):
            self.stopped, self.bad_cost = "diverged", new_cost
        self._progress.update(self.in_epoch, self._cost_sum / self.in_epoch)
        if self.in_epoch == self.total_batch:
            self._end_progress()
        self.check()

    def check(self):
        """Ends the `with` block (raises Stop) if a stop was asked for."""
        if self.stopped:
            raise Stop(self.stopped)

    def _end_progress(self):
        if self._progress is not None:
            self._progress.close()
            self._progress = None


def run(main):
    """Runs main() as a script: line-buffered output, Ctrl-C outside training ends quietly."""
    sys.stdout.reconfigure(line_buffering=True)
    tf.get_logger().setLevel("ERROR")  # TensorFlow's deprecation notices are not for students
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        sys.exit(130)
