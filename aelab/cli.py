"""Command-line pieces the training scripts share: options, progress, Ctrl-C."""

import argparse
import math
import signal
import sys

import tensorflow.compat.v1 as tf

from aelab import input_data


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


def add_training_arguments(parser, epochs, batch_size, learning_rate):
    """Adds the options every training script takes, with the script's defaults."""
    group = parser.add_argument_group("training")
    group.add_argument("--epochs", type=positive_int, default=epochs, metavar="N",
                       help=f"epochs to train (default: {epochs})")
    group.add_argument("--batch-size", type=positive_int, default=batch_size, metavar="N",
                       help=f"images per training step (default: {batch_size})")
    group.add_argument("--learning-rate", type=positive_float, default=learning_rate,
                       metavar="LR", help=f"optimiser learning rate (default: {learning_rate})")
    group.add_argument("--seed", type=int, default=None,
                       help="random seed for weights, batches and noise "
                            "(default: none, each run differs)")
    group.add_argument("--steps-per-epoch", type=positive_int, default=None, metavar="N",
                       help="train only N steps per epoch, for a quick demo or smoke test "
                            "(default: the whole training set, 550 steps for MNIST at batch 100)")
    input_data.add_data_arguments(parser)
    return group


def steps_per_epoch(args, num_examples):
    """Training steps in one epoch: the whole set, or --steps-per-epoch."""
    full = max(1, num_examples // args.batch_size)
    return min(full, args.steps_per_epoch) if args.steps_per_epoch else full


def read_data(args, one_hot=False):
    """The data the options name, checked against --batch-size."""
    data = input_data.read_from_args(args, one_hot)
    if args.batch_size > data.train.num_examples:
        raise input_data.DataError(
            f"--batch-size {args.batch_size} is larger than the training set "
            f"({data.train.num_examples} images); use a smaller one")
    return data


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


class StopOnInterrupt:
    """Turns the first Ctrl-C into a request to stop at the next safe point.

    Inside the `with` block, SIGINT sets `.requested` instead of raising
    KeyboardInterrupt; the loop checks it after each step. A second Ctrl-C
    raises KeyboardInterrupt as usual, for a user who cannot wait.
    """

    def __init__(self):
        self.requested = False
        self._previous = None

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        print("\nStopping at the end of this step (Ctrl-C again to force)...",
              file=sys.stderr, flush=True)

    def __enter__(self):
        self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc):
        signal.signal(signal.SIGINT, self._previous)
        return False


def run(main):
    """Runs main() as a script: line-buffered output, Ctrl-C outside training ends quietly."""
    sys.stdout.reconfigure(line_buffering=True)
    tf.get_logger().setLevel("ERROR")  # TensorFlow's deprecation notices are not for students
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        sys.exit(130)
