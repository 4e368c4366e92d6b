"""What a training loop checks after each step: a stop signal, a cost that is not a number, progress.

`Steps` watches a loop: the first Ctrl-C (or SIGTERM, SIGHUP, Ctrl-Break)
only asks the loop to stop at the end of the step under way, a cost that is
not a finite number stops it too, and a progress line (tqdm) runs within
each epoch on a terminal or in a Jupyter cell: the epoch out of the run's,
its steps and the time the run has left. `ending` says how a stopped loop
ended, for every script alike.
"""

import math
import signal
import sys
import time

import tqdm

from aelab import cli

# Signals that ask a run to stop: Ctrl-C, `kill`/`timeout`/`docker stop`, a closed terminal or
# ssh session, and Ctrl-Break on Windows (SIGHUP exists only on POSIX, SIGBREAK only on Windows).
STOP_SIGNALS = [getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK")
                if hasattr(signal, name)]


def signal_name(signum):
    """How a user calls the signal, by what they pressed: "Ctrl-C", or in a notebook
    '■ "Interrupt the kernel"'; "Ctrl-Break" (Windows), "SIGTERM", ..."""
    keys = {signal.SIGINT: '■ "Interrupt the kernel"' if cli.in_jupyter() else "Ctrl-C",
            getattr(signal, "SIGBREAK", None): "Ctrl-Break"}
    return keys.get(signum) or signal.Signals(signum).name


def to_resume():
    """What to do to resume a stopped run, where it was started: in a notebook or at a prompt."""
    return "Run this cell again to resume." if cli.in_jupyter() else "Run the same command to resume."


def progress_stream():
    """Where a progress line goes: standard error on a terminal, standard output in a Jupyter
    cell (where standard error shows pink, for real problems), and nowhere when the output
    goes to a file or a pipe."""
    if cli.in_a_kernel():
        return sys.stdout
    return sys.stderr if getattr(sys.stderr, "isatty", lambda: False)() else None


class Progress:
    """The progress line of one epoch, drawn by tqdm where progress_stream says.

    tqdm redraws it with a carriage return and rubs it out with spaces when the
    epoch ends, with no terminal escape codes (which the classic Windows
    console prints as text), so the slides' lines that follow stand alone.
    """

    FORMAT = "{desc} {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}]{postfix}"
    MININTERVAL = 0.2  # seconds between two redraws at most

    def __init__(self, total, label):
        stream = progress_stream()
        self.bar = stream and tqdm.tqdm(total=total, desc=label, file=stream, leave=False,
                                        bar_format=self.FORMAT, ascii=" #",
                                        mininterval=self.MININTERVAL)

    def update(self, cost_value, run_left=None):
        """One more step, with the epoch's mean cost so far and the run's time left (seconds)."""
        if self.bar:
            left = "" if run_left is None else f"; the run: {format_left(run_left)} left"
            self.bar.set_postfix_str(f"cost {cost_value:.4f}{left}", refresh=False)
            self.bar.update(1)

    def close(self):
        if self.bar:
            self.bar.close()
            self.bar = None


def format_left(seconds):
    """A time left as people say it: "about 3 min", "about 2 h 41 min", "under a minute"."""
    minutes = round(seconds / 60)
    if minutes < 1:
        return "under a minute"
    return f"about {minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"about {minutes} min"


class Stop(Exception):
    """Raised by Steps at a safe point to end its `with` block: a stop signal, or a cost that is not a number."""


class Steps:
    """Watches a training loop; use it as a context manager around the loop.

    Inside, the first stop signal only asks to stop; the next `step_done` (or
    `check`) then ends the `with` block, and `stopped` says why:
    "interrupted" (by `signal`), or "diverged" when the cost was not finite
    (`bad_cost`). A second signal stops at once, for a user who cannot wait.
    Every `total_batch` steps make an epoch, with its own progress line
    labelled `label`, the epoch's number and, where the run's last epoch
    (`epochs`) is known, that number and the time the run has left.
    """

    def __init__(self, total_batch, label="Epoch", epoch=0, epochs=None):
        self.total_batch, self.label = total_batch, label
        self.epoch = epoch     # the epoch under way (1-based), or the last one done
        self.epochs = epochs   # the run's last epoch, where it is known
        self.step = 0          # steps done in this process
        self.in_epoch = 0      # steps done in the current epoch
        self.stopped = None
        self.signal = None
        self.bad_cost = None
        self._cost_sum = 0.0
        self._progress = None
        self._first = None     # when this process's first step ended (time.monotonic)
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

    @property
    def place(self):
        """Where the loop is: "epoch 2, at step 3 of 500" inside an epoch, else "epoch 2"."""
        if 0 < self.in_epoch < self.total_batch:
            return f"epoch {self.epoch}, at step {self.in_epoch} of {self.total_batch}"
        return f"epoch {self.epoch}"

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
        """Counts a finished step and draws the progress line; ends the block if the run must stop."""
        if self.in_epoch in (0, self.total_batch):
            self.epoch, self.in_epoch, self._cost_sum = self.epoch + 1, 0, 0.0
            of = f"/{self.epochs}" if self.epochs else ""
            self._progress = Progress(self.total_batch, f"{self.label} {self.epoch:04d}{of}")
        self._first = self._first or time.monotonic()
        self.step += 1
        self.in_epoch += 1
        self._cost_sum += new_cost
        if not math.isfinite(new_cost):
            self.stopped, self.bad_cost = "diverged", new_cost
        self._progress.update(self._cost_sum / self.in_epoch, self.run_left())
        if self.in_epoch == self.total_batch:
            self._end_progress()
        self.check()

    def run_left(self):
        """Seconds the run has left at this process's pace since its first step (the ends of
        epochs included), or None before there is a pace or where the run's end is not known."""
        if not self.epochs or self.step < 2:
            return None
        pace = (time.monotonic() - self._first) / (self.step - 1)
        return pace * ((self.epochs - self.epoch + 1) * self.total_batch - self.in_epoch)

    def check(self):
        """Ends the `with` block (raises Stop) if a stop was asked for."""
        if self.stopped:
            raise Stop(self.stopped)

    def _end_progress(self):
        if self._progress is not None:
            self._progress.close()
            self._progress = None


def ending(steps, place, kept, then="", retry="Try a lower --learning-rate."):
    """Says on stderr how a loop that `steps` stopped early ended; returns the exit status.

    place: where it stopped ("epoch 2, at step 3 of 500", "row SAA"); kept:
    what is kept ("last checkpoint: ...", "the rows above are complete");
    then: what to do next after a stop signal; retry: what to try after the
    cost stopped being a number.
    """
    if steps.stopped == "diverged":
        print(f"error: the cost became {steps.bad_cost} in {place}; {kept}. {retry}",
              file=sys.stderr)
        return 1
    print(f"Stopped by {signal_name(steps.signal)} in {place}; {kept}.{' ' + then if then else ''}",
          file=sys.stderr)
    return steps.exit_status
