"""Command-line pieces the scripts share: options, the step watch (progress, Ctrl-C, NaN), running main."""

import argparse
import math
import signal
import sys

import tensorflow.compat.v1 as tf

from aelab import input_data

RECORDED = "the one recorded beside the checkpoint"


def number_type(convert, accept, what):
    """An argparse type: convert(text), kept where accept(value); else "must be WHAT, not TEXT"."""
    def parse(text):
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or not accept(value):
            raise argparse.ArgumentTypeError(f"must be {what}, not {text!r}")
        return value
    return parse


positive_int = number_type(int, lambda value: value >= 1, "a positive integer")
positive_float = number_type(float, lambda value: value > 0 and math.isfinite(value),
                             "a positive number")
seed = number_type(int, lambda value: 0 <= value < 2 ** 32,  # what NumPy's RandomState takes
                   f"a whole number from 0 to {2 ** 32 - 1}")
count = number_type(int, lambda value: value >= 0, "a whole number of at least 0")
probability = number_type(float, lambda value: 0 <= value < 1, "a number from 0 to below 1")


def add_training_arguments(parser, epochs, batch_size, learning_rate, seed_help=None):
    """Adds the options every training script takes, with the script's defaults."""
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
    group.add_argument("--validation-size", metavar="N", type=count,
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


def check_sizes(mnist, batch_size):
    """Stops with one line where the data sets leave nothing to validate or train on."""
    validation, train = mnist.validation.num_examples, mnist.train.num_examples
    if validation == 0:
        raise input_data.DataError("--validation-size 0 leaves no images to validate on; use at "
                                   f"least 1 (the default is {input_data.DEFAULT_VALIDATION_SIZE})")
    if train == 0:
        raise input_data.DataError(f"--validation-size {validation} takes every training image, "
                                   f"leaving none to train on; use at most "
                                   f"{validation - batch_size}")
    if batch_size > train:
        raise input_data.DataError(
            f"--batch-size {batch_size} is larger than the training set "
            f"({train} images); use a smaller one")


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
    """Raised by Steps at a safe point to end its `with` block: a stop signal, or a cost that is not a number."""


# Signals that ask a run to stop: Ctrl-C, `kill`/`timeout`/`docker stop`, a closed terminal or
# ssh session, and Ctrl-Break on Windows (SIGHUP exists only on POSIX, SIGBREAK only on Windows).
STOP_SIGNALS = [getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK")
                if hasattr(signal, name)]


def signal_name(signum):
    return "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name


class Steps:
    """What a training loop checks after each step: a stop signal, a cost that is not a number, progress.

    Use it as a context manager around the loop. Inside, the first Ctrl-C
    (or SIGTERM, SIGHUP) only asks to stop; the next `step_done` (or `check`)
    then ends the `with` block, and `stopped` says why: "interrupted" (by
    `signal`), or "diverged" when the cost was not finite (`bad_cost`). A
    second signal stops at once, for a user who cannot wait. Every
    `total_batch` steps make an epoch, with its own progress bar labelled
    `label` and the epoch's number.
    """

    def __init__(self, total_batch, label="Epoch", epoch=0):
        self.total_batch, self.label = total_batch, label
        self.epoch = epoch     # the epoch under way (1-based), or the last one done
        self.step = 0          # steps done in all
        self.in_epoch = 0      # steps done in the current epoch
        self.stopped = None
        self.signal = None
        self.bad_cost = None
        self._cost_sum = 0.0
        self._progress = None
        self._previous_handlers = {}

    def _interrupt(self, signum, frame):
        if self.stopped == "interrupted":
            if signum == signal.SIGINT:
                raise KeyboardInterrupt
            raise SystemExit(128 + signum)
        self.stopped, self.signal = "interrupted", signum
        print(f"\nStopping at the end of this step ({signal_name(signum)}; again to force)...",
              file=sys.stderr, flush=True)

    @property
    def exit_status(self):
        """The status a stopped run ends with: 128 + the signal's number (130 for Ctrl-C)."""
        return 128 + self.signal

    def __enter__(self):
        for signum in STOP_SIGNALS:
            self._previous_handlers[signum] = signal.signal(signum, self._interrupt)
        return self

    def __exit__(self, kind, value, traceback):
        self._end_progress()
        for signum, handler in self._previous_handlers.items():
            signal.signal(signum, handler)
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
