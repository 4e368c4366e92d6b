"""A training run's folder and its bookkeeping: checkpoints, config, record, resume, stop.

A run folder (`mnist_autoencoder_hidden=2_logs/`, `dn_...` for the denoising
autoencoder) holds

- `model-checkpoint-<epoch:04d>-<global step>` checkpoints (.index, .data-*,
  .meta), one written per epoch; a long run keeps the latest few and the
  milestone epochs 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, ... so that early
  and late models can still be compared; TensorFlow's `checkpoint` file lists
  those kept;
- `model_config.json`: what a reload needs (which model, n_code, architecture,
  training settings, data);
- `record.csv`: one row per epoch; `loss_curve.png` drawn from it;
- `train/`, `validation/`: TensorBoard events.

`Run` is what the training scripts call around the slides' loop, a line or
two per epoch: it checks and prepares the folder, restores or initialises
the model, watches each step (progress, Ctrl-C, NaN), records each epoch,
keeps the right checkpoints and ends with the right message and exit status.
"""

import csv
import errno
import glob
import json
import os
import re
import signal
import sys
import time

import numpy as np
import tensorflow.compat.v1 as tf

from aelab import LabError, cli, figures, input_data, lock
from aelab.stacking import WHOLE_NETWORK

# The two models a run folder can hold, as named in its config file.
AUTOENCODER = "autoencoder"
DENOISING_AUTOENCODER = "denoising_autoencoder"
LINEAR_AUTOENCODER = "linear_autoencoder"
MODELS = (AUTOENCODER, DENOISING_AUTOENCODER, LINEAR_AUTOENCODER)
TRAINED_BY = {AUTOENCODER: "autoencoder_mnist.py",
              DENOISING_AUTOENCODER: "denoising_autoencoder_mnist.py",
              LINEAR_AUTOENCODER: "linear_ae_vs_pca.py"}
TITLES = {AUTOENCODER: "deep autoencoder", DENOISING_AUTOENCODER: "denoising autoencoder",
          LINEAR_AUTOENCODER: "linear autoencoder"}
# What a run learns, as its options name it: a run is resumed only with the same. The
# values are those of configs written before an option existed.
LEARNS = {"loss": "l2", "corruption": 0.5, "pretrain": "none", "pretrain_epochs": 5}
LOSS_LABELS = {"l2": "mean per-image L2 error", "cross-entropy": "mean per-image cross-entropy",
               "squared error": "mean squared error per pixel"}
CONFIG_FILE = "model_config.json"
RECORD_FILE = "record.csv"
RECORD_FIELDS = ["epoch", "global_step", "train_cost", "val_loss", "seconds", "train_seconds",
                 "stage", "precision"]
LOSS_CURVE_FILE = "loss_curve.png"
PREFIX = "model-checkpoint"
KEEP_LATEST = 3
_NAME = re.compile(re.escape(PREFIX) + r"-(\d+)-(\d+)$")


def default_logdir(model, n_code):
    if model == LINEAR_AUTOENCODER:
        return f"linear_autoencoder_hidden={n_code}_logs"
    return f"{'dn_' if model == DENOISING_AUTOENCODER else ''}mnist_autoencoder_hidden={n_code}_logs"


def add_run_arguments(parser, model, n_code_name):
    """Adds the "outputs" group of a training script: --logdir and --restart. Returns the group."""
    group = parser.add_argument_group("outputs")
    group.add_argument("--logdir", metavar="DIR", default=None,
                       help=f"run folder (default: {default_logdir(model, n_code_name)})")
    group.add_argument("--restart", action="store_true",
                       help="start over instead of resuming; an earlier run in the folder is "
                            "moved aside to DIR.<date-time>, not deleted")
    return group


# ---------------------------------------------------------------- checkpoints

def checkpoint_path(logdir, epoch):
    """The prefix handed to Saver.save for an epoch (Saver appends -<global step>)."""
    return os.path.join(logdir, f"{PREFIX}-{epoch:04d}")


def parse(prefix):
    """(epoch, global step) of a checkpoint prefix, or None if it is not one of ours."""
    match = _NAME.match(os.path.basename(prefix))
    return (int(match.group(1)), int(match.group(2))) if match else None


def list_checkpoints(logdir):
    """The complete checkpoints (index and data present) in logdir, oldest epoch first."""
    found = []
    for index in glob.glob(os.path.join(glob.escape(logdir), PREFIX + "-*.index")):
        prefix = index[:-len(".index")]
        if parse(prefix) and glob.glob(glob.escape(prefix) + ".data-*"):
            found.append(prefix)
    return sorted(found, key=parse)


def is_milestone(epoch):
    """True for 1, 2, 5, 10, 20, 50, 100, ...: the epochs kept for comparison."""
    while epoch >= 10 and epoch % 10 == 0:
        epoch //= 10
    return epoch in (1, 2, 5)


def retain(logdir, keep_latest=KEEP_LATEST):
    """Deletes checkpoints that are neither among the latest few nor milestones.

    Rewrites TensorFlow's `checkpoint` state file to list what is kept, with
    names relative to the folder so that it can be moved or copied; returns
    the kept prefixes, oldest first.
    """
    prefixes = list_checkpoints(logdir)
    latest = set(prefixes[-keep_latest:])
    kept = []
    for prefix in prefixes:
        if prefix in latest or is_milestone(parse(prefix)[0]):
            kept.append(prefix)
        else:
            for path in glob.glob(glob.escape(prefix) + ".*"):
                os.remove(path)
    if kept:
        names = [os.path.basename(prefix) for prefix in kept]
        tf.train.update_checkpoint_state(os.path.abspath(logdir), names[-1], names)
    return kept


# ---------------------------------------------------------------- config and record

def save_config(folder, model, n_code, **settings):
    """Writes what a reload needs (which model, n_code, settings) into folder."""
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, not {model!r}")
    config = dict(model=model, n_code=int(n_code), **settings)
    path = os.path.join(folder, CONFIG_FILE)
    tmp = path + ".tmp"
    try:
        with open(tmp, "w") as f:
            json.dump(config, f, indent=2, sort_keys=True)
            f.write("\n")
        os.replace(tmp, path)
    except OSError:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def load_config(folder):
    """Reads the config that save_config wrote; None if the folder has none.

    Raises:
      ValueError: the file is there but is not a config of one of MODELS.
    """
    path = os.path.join(folder, CONFIG_FILE)
    if not os.path.isfile(path):
        return None
    try:
        with open(path) as f:
            config = json.load(f)
        if not isinstance(config, dict):
            raise ValueError
        hidden = [config.get(key, [1, 1, 1]) for key in ("encoder_hidden", "decoder_hidden")]
        widths = [config["n_code"], *hidden[0], *hidden[1]]
        if (config["model"] not in MODELS or [len(h) for h in hidden] != [3, 3]
                or not all(type(n) is int and n > 0 for n in widths)):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise ValueError(f"{path} is not a model config of this lab (expected a model of "
                         f"{', '.join(MODELS)} and positive whole numbers for n_code and the "
                         f"layer widths)") from None
    return config


def read_record(logdir, up_to_epoch):
    """The record's rows for epochs 1..up_to_epoch (later rows belong to lost epochs).

    Lines that are not rows of the record (a file cut short, say) are left out.
    """
    path = os.path.join(logdir, RECORD_FILE)
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return [row for row in rows
            if (row.get("epoch") or "").isdigit() and int(row["epoch"]) <= up_to_epoch]


def write_record(logdir, rows):
    with open(os.path.join(logdir, RECORD_FILE), "w", newline="") as f:
        writer = csv.DictWriter(f, RECORD_FIELDS, restval="")
        writer.writeheader()
        writer.writerows(rows)


def append_record(logdir, row):
    with open(os.path.join(logdir, RECORD_FILE), "a", newline="") as f:
        csv.DictWriter(f, RECORD_FIELDS).writerow(row)


# ---------------------------------------------------------------- what can go wrong

_CANNOT_WRITE = {code: os.strerror(code) for code in (errno.ENOSPC, errno.EROFS, errno.EACCES,
                                                      errno.EPERM, errno.EDQUOT, errno.ENOENT,
                                                      errno.EIO)}


def write_problem(error):
    """Why a write failed and what it was writing, if error is a failed write; else None."""
    if isinstance(error, OSError) and error.errno in _CANNOT_WRITE:
        what = error.filename
    elif isinstance(error, tf.errors.OpError) and any(
            words in error.message for words in _CANNOT_WRITE.values()):
        what = error.message.split(";")[0].strip()  # TensorFlow names the file first
    else:
        return None
    why = next(words for code, words in _CANNOT_WRITE.items()
               if getattr(error, "errno", None) == code or words in str(error))
    what = re.sub(r"\.tempstate\d+$", "", os.path.basename(str(what or "")))
    return f"{why} (writing {what})" if what else why


def remove_partial_checkpoints(logdir):
    """Removes what a checkpoint save cut short left behind (.tempstate files, a lone .index or .meta)."""
    for path in glob.glob(os.path.join(glob.escape(logdir), PREFIX + "-*")):
        name = os.path.basename(path)
        prefix = re.sub(r"\.(index|meta|data-\d+-of-\d+)(\.tempstate\d+)?$", "", path)
        complete = (os.path.isfile(prefix + ".index")
                    and glob.glob(glob.escape(prefix) + ".data-*-of-*[0-9]"))
        if ".tempstate" in name or (not name.endswith(".damaged") and not complete):
            os.remove(path)


def set_aside(prefix):
    """Renames a checkpoint's files to *.damaged, so that no one takes it for a whole one."""
    for path in glob.glob(glob.escape(prefix) + ".*"):
        os.replace(path, path + ".damaged")


def physical_memory():
    """This machine's memory in bytes, or None where it cannot be told."""
    try:
        if os.name == "nt":
            import ctypes

            class Status(ctypes.Structure):
                _fields_ = [("length", ctypes.c_ulong), ("load", ctypes.c_ulong),
                            ("total", ctypes.c_ulonglong), ("free", ctypes.c_ulonglong),
                            ("rest", ctypes.c_ulonglong * 5)]
            status = Status(length=ctypes.sizeof(Status))
            ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status))
            return status.total
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def checkpoint_bytes():
    """The size of a checkpoint of the default graph, about: every variable, Adam's included."""
    return 4 * sum(v.shape.num_elements() for v in tf.global_variables())


def memory_needed(batch):
    """Bytes training the default graph needs, about: every variable, the gradients, and a few
    copies of each layer's outputs for a batch of `batch` images."""
    widths = sum(int(v.shape[-1]) for v in tf.trainable_variables() if len(v.shape) == 2)
    gradients = sum(v.shape.num_elements() for v in tf.trainable_variables())
    return checkpoint_bytes() + 4 * (gradients + 8 * batch * widths)


# ---------------------------------------------------------------- a run

class Run(cli.Steps):
    """The bookkeeping of one training run of a script named in TRAINED_BY.

    Made once the data and the graph are ready (it only checks the folder and
    the memory then: nothing is written until `start`), and used as a context
    manager around the session's work, as cli.Steps: a stop signal or a cost
    that is not a number ends the `with` block at the next step, and so does
    a failed write (disk full, read-only folder); `finish` then says what
    happened and what to do.

    Args:
      args: the script's options (n_code, logdir, restart, epochs, batch size, ...).
      model: one of MODELS.
      total_batch: training steps per epoch.
      curve_is_the_figure: the loss curve is the script's figure: shown at the
        end where there is a display, and written to --save too (else it is
        only written into the run folder).
      settings: more of what model_config.json records (the architecture).
        What the run learns (LEARNS: loss, corruption, pretrain, pretrain_epochs)
        is taken from args where it has them, or from settings; a run is
        resumed only with the same.
    """

    EVAL_BATCH = 1000  # images per sess.run when validating and testing

    def __init__(self, args, model, total_batch, curve_is_the_figure=True, **settings):
        super().__init__(total_batch)
        self.args, self.model, self.logdir = args, model, args.logdir
        self.curve_is_the_figure = curve_is_the_figure
        learns = {key: getattr(args, key) for key in LEARNS if getattr(args, key, None) is not None}
        self.settings = {
            "learning_rate": args.learning_rate, "batch_size": args.batch_size,
            "dataset": input_data.dataset_name(args.dataset, args.data_dir),
            "data_dir": os.path.abspath(args.data_dir) if args.data_dir else None,
            "validation_size": args.validation_size, **learns, **settings}
        # Said after each validation and test loss: what it measures, where that is not the lab's.
        notes = ["cross-entropy"] if self.settings.get("loss") == "cross-entropy" else []
        if model == DENOISING_AUTOENCODER:
            notes.append("input corrupted, as in training")
        self.note = f" ({'; '.join(notes)})" if notes else ""
        self.checkpoint_bytes = checkpoint_bytes()
        needed, memory = memory_needed(max(args.batch_size, self.EVAL_BATCH)), physical_memory()
        if memory and needed > 0.8 * memory:
            raise LabError(f"this model needs about {needed / 2 ** 30:.1f} GB of memory to train "
                           f"(weights, gradients, Adam's state, a batch's layers), and this "
                           f"machine has {memory / 2 ** 30:.1f} GB; choose a smaller N_CODE")
        self.candidates = [] if args.restart else self._resumable()
        self.resume_from = None
        self.lock = lock.FolderLock(self.logdir)
        self.sess = self.saver = None
        self.start_epoch = 0
        self.rows = []
        self.writers = []
        self.problem = None  # what could not be written, when a write failed
        self._epoch_started = self._steps_ended = time.time()

    def _resumable(self):
        """The checkpoints a resume may start from, oldest first; LabError if the folder holds another run."""
        found = list_checkpoints(self.logdir)
        if not found:
            return []
        try:
            config = load_config(self.logdir)
        except ValueError as e:
            raise LabError(str(e)) from None
        if config is None or (config["model"], config["n_code"]) != (self.model, self.args.n_code):
            held = (f"a run of {TRAINED_BY[config['model']]} with N_CODE {config['n_code']}"
                    if config else "checkpoints of an unknown model")
            raise LabError(f"{self.logdir} holds {held}, not of {TRAINED_BY[self.model]} with "
                           f"N_CODE {self.args.n_code}; choose another --logdir, or --restart to "
                           f"move that run aside")
        differ = {key: config.get(key, LEARNS[key]) for key in LEARNS if key in self.settings
                  and config.get(key, LEARNS[key]) != self.settings[key]}
        if differ:
            held = " ".join(f"--{key.replace('_', '-')} {value}" for key, value in differ.items())
            raise LabError(f"{self.logdir} was trained with {held}; resume with the same, "
                           f"or --restart to move that run aside")
        for key in ("encoder_hidden", "decoder_hidden"):
            if key in self.settings and list(config.get(key, self.settings[key])) != list(
                    self.settings[key]):
                raise LabError(f"{self.logdir} holds a model with {key} {config[key]}, not "
                               f"{list(self.settings[key])}; choose another --logdir, or "
                               f"--restart to move that run aside")
        return found

    def start(self, sess, saver):
        """Takes the folder, restores the newest whole checkpoint or initialises; returns the first epoch."""
        self.sess, self.saver = sess, saver
        if self.args.restart and os.path.exists(self.logdir):
            self.lock.acquire()  # not while another run uses it
            self.lock.release()
            aside = f"{self.logdir.rstrip(os.sep)}.{time.strftime('%Y%m%d-%H%M%S')}"
            os.rename(self.logdir, aside)
            print(f"Moved the earlier run to {aside}", file=sys.stderr)
        os.makedirs(self.logdir, exist_ok=True)
        self.lock.acquire()
        self.resume_from = self._restore()
        if self.resume_from:
            self.start_epoch, self.step = parse(self.resume_from)
            print(f"Resuming from {self.resume_from} (epoch {self.start_epoch}, step {self.step})")
        self.epoch = self.start_epoch
        self.rows = self._rows_of_kept_checkpoints()
        write_record(self.logdir, self.rows)
        save_config(self.logdir, self.model, self.args.n_code, **self.settings)
        if self.start_epoch >= self.args.epochs:
            print(f"{self.logdir} already holds {self.start_epoch} epochs (--epochs "
                  f"{self.args.epochs}); nothing to train. Use a larger --epochs to go on.",
                  file=sys.stderr)
        self._epoch_started = time.time()
        return self.start_epoch

    def _restore(self):
        """Restores the newest checkpoint that reads whole, setting damaged ones aside; or initialises."""
        remove_partial_checkpoints(self.logdir)
        for prefix in reversed(self.candidates):
            try:
                self.saver.restore(self.sess, prefix)
                return prefix
            except (tf.errors.OutOfRangeError, tf.errors.DataLossError) as e:
                set_aside(prefix)
                print(f"{prefix} is damaged (its files are cut short or broken: "
                      f"{type(e).__name__}); set aside as {os.path.basename(prefix)}.*.damaged",
                      file=sys.stderr)
        if self.candidates:
            print(f"{self.logdir} holds no readable checkpoint; training from the beginning",
                  file=sys.stderr)
        self.sess.run(tf.global_variables_initializer())
        return None

    def _rows_of_kept_checkpoints(self):
        """The record up to the epoch resumed from, with a row given back to any checkpoint that
        was saved without one (the run stopped between the two)."""
        rows = read_record(self.logdir, self.start_epoch)
        recorded = {int(row["epoch"]) for row in rows}
        for prefix in list_checkpoints(self.logdir):
            epoch, step = parse(prefix)
            if epoch <= self.start_epoch and epoch not in recorded:
                rows.append(dict(epoch=epoch, global_step=step))
                print(f"record.csv had no row for epoch {epoch} (the run stopped between saving "
                      f"{os.path.basename(prefix)} and recording it); its row is back, without "
                      f"its costs", file=sys.stderr)
        return sorted(rows, key=lambda row: int(row["epoch"]))

    def summary_writers(self):
        """TensorBoard writers for DIR/train (with the graph, on a fresh start) and DIR/validation.

        On a resume, TensorBoard is told to drop what the earlier run wrote after
        the step resumed from, so each step shows once.
        """
        graph = None if self.resume_from else self.sess.graph
        self.writers = [tf.summary.FileWriter(os.path.join(self.logdir, "train"), graph=graph),
                        tf.summary.FileWriter(os.path.join(self.logdir, "validation"))]
        if self.resume_from:
            for writer in self.writers:
                writer.add_session_log(tf.SessionLog(status=tf.SessionLog.START), self.step + 1)
        return self.writers

    def summary_due(self):
        """True when the step just run (not yet counted) is one of every --summary-every steps."""
        return (self.step + 1) % self.args.summary_every == 0

    def step_done(self, new_cost):
        self._steps_ended = time.time()
        super().step_done(new_cost)

    def evaluate(self, fetches, feed_dict):
        """sess.run(fetches, feed_dict) over a whole validation or test set, in batches.

        The set is the feed's largest array; the first fetch (the loss, a batch
        mean) is averaged over it; any others (summaries) run on its first
        batch, with that loss fed the set's mean. Memory then does not grow
        with the set. Returns what sess.run would: a value, or a list.
        """
        first, *rest = fetches if isinstance(fetches, (list, tuple)) else [fetches]
        key = max(feed_dict, key=lambda k: np.size(feed_dict[k]))
        images, total = feed_dict[key], 0.0
        for start in range(0, len(images), self.EVAL_BATCH):
            part = images[start:start + self.EVAL_BATCH]
            total += float(self.sess.run(first, {**feed_dict, key: part})) * len(part)
        mean = np.float32(total / len(images))
        if not isinstance(fetches, (list, tuple)):
            return mean
        others = self.sess.run(rest, {**feed_dict, key: images[:self.EVAL_BATCH], first: mean})
        return [mean, *others]

    def checkpoint_path(self, epoch):
        return checkpoint_path(self.logdir, epoch)

    def epoch_done(self, epoch, avg_cost, validation_loss, stage=WHOLE_NETWORK):
        """Records a finished, saved epoch and keeps the right checkpoints; stops here if asked."""
        now = time.time()
        row = dict(epoch=epoch, global_step=self.step, train_cost=f"{avg_cost:.9f}",
                   val_loss=f"{validation_loss:.7g}", seconds=f"{now - self._epoch_started:.3f}",
                   train_seconds=f"{self._steps_ended - self._epoch_started:.3f}", stage=stage,
                   precision=self.settings.get("precision", "float32"))
        append_record(self.logdir, row)
        self.rows.append(row)
        retain(self.logdir)
        self._epoch_started = now
        self.check()

    def __exit__(self, kind, value, traceback):
        problem = write_problem(value) if value is not None else None
        if problem:  # a write failed: say so in finish, keep what is whole, remove the rest
            self.problem = problem
            self.stopped = "write failed"
            remove_partial_checkpoints(self.logdir) if os.path.isdir(self.logdir) else None
        elif kind is not None and kind is not cli.Stop:
            self.lock.release()
        return super().__exit__(kind, value, traceback) or bool(problem)

    def finish(self):
        """Closes the writers, draws the loss curve and says how the run ended; returns the exit status."""
        try:
            for writer in self.writers:
                writer.close()
            self._write_loss_curve(show=not self.stopped)
        except (OSError, tf.errors.OpError, figures.FigureError) as e:
            why = e.message if isinstance(e, figures.FigureError) else write_problem(e)
            if not why:
                raise
            self.problem = self.problem or why
        finally:
            self.lock.release()
        kept = list_checkpoints(self.logdir) if os.path.isdir(self.logdir) else []
        where = kept[-1] if kept else "none: no epoch finished"
        if self.problem:
            print(f"error: could not write into {self.logdir}: {self.problem}. Last whole "
                  f"checkpoint: {where}; each checkpoint needs about "
                  f"{self.checkpoint_bytes / 2 ** 20:.0f} MB. "
                  f"Make room (or choose a --logdir you can write to) and run the same command "
                  f"to resume.", file=sys.stderr)
            return 1
        if self.stopped == "diverged":
            print(f"error: the cost became {self.bad_cost} in epoch {self.epoch}; training "
                  f"stopped. Last good checkpoint: {where}. Try a lower --learning-rate, "
                  f"or --restart.", file=sys.stderr)
            return 1
        if self.stopped == "interrupted":
            cut_short = (f"epoch {self.epoch} was cut short at step {self.in_epoch} of "
                         f"{self.total_batch}; " if self.in_epoch < self.total_batch else "")
            how = ("Interrupted" if self.signal == signal.SIGINT
                   else f"Stopped by {cli.signal_name(self.signal)}")
            print(f"{how}: {cut_short}last checkpoint: {where}. "
                  f"Run the same command to resume.", file=sys.stderr)
            return self.exit_status
        return 0

    def _write_loss_curve(self, show):
        """Draws the record as the slides' loss curve into the run folder (and --save)."""
        if not self.rows or not os.path.isdir(self.logdir):
            return
        costs = [[float(r.get(key) or "nan") for r in self.rows] for key in ("train_cost", "val_loss")]
        fig = figures.loss_curve([int(r["epoch"]) for r in self.rows], *costs,
                                 f"{TITLES[self.model].capitalize()}, N_CODE={self.args.n_code}: "
                                 f"loss by epoch", [r.get("stage") or WHOLE_NETWORK for r in self.rows],
                                 LOSS_LABELS[self.settings.get("loss", "l2")])
        try:
            figures.save_figure(fig, os.path.join(self.logdir, LOSS_CURVE_FILE))
            if self.curve_is_the_figure and self.args.save:
                figures.save_figure(fig, self.args.save)
            if self.curve_is_the_figure and show and not self.args.no_show and figures.has_display():
                figures.plt.show()
        finally:
            figures.plt.close(fig)
