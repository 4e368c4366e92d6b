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
import glob
import json
import os
import re
import sys
import time

import tensorflow.compat.v1 as tf

from aelab import LabError, cli, figures, input_data
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
                 "stage"]
LOSS_CURVE_FILE = "loss_curve.png"
PREFIX = "model-checkpoint"
KEEP_LATEST = 3
_NAME = re.compile(re.escape(PREFIX) + r"-(\d+)-(\d+)$")


def default_logdir(model, n_code):
    if model == LINEAR_AUTOENCODER:
        return f"linear_autoencoder_hidden={n_code}_logs"
    return f"{'dn_' if model == DENOISING_AUTOENCODER else ''}mnist_autoencoder_hidden={n_code}_logs"


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
    with open(tmp, "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)
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
    """The record's rows for epochs 1..up_to_epoch (later rows belong to lost epochs)."""
    path = os.path.join(logdir, RECORD_FILE)
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return [row for row in csv.DictReader(f) if int(row["epoch"]) <= up_to_epoch]


def write_record(logdir, rows):
    with open(os.path.join(logdir, RECORD_FILE), "w", newline="") as f:
        writer = csv.DictWriter(f, RECORD_FIELDS)
        writer.writeheader()
        writer.writerows(rows)


def append_record(logdir, row):
    with open(os.path.join(logdir, RECORD_FILE), "a", newline="") as f:
        csv.DictWriter(f, RECORD_FIELDS).writerow(row)


# ---------------------------------------------------------------- a run

class Run(cli.Steps):
    """The bookkeeping of one training run of a script named in TRAINED_BY.

    Made once the data and the graph are ready (it only checks the folder
    then: nothing is written until `start`), and used as a context manager
    around the session's work, as cli.Steps: Ctrl-C or a cost that is not a
    number ends the `with` block at the next step; `finish` then says so.

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
        self.resume_from = None if args.restart else self._resumable()
        self.sess = self.saver = None
        self.start_epoch = 0
        self.rows = []
        self.writers = []
        self._epoch_started = self._steps_ended = time.time()

    def _resumable(self):
        """The checkpoint to resume from, or None; LabError if the folder holds another run."""
        found = list_checkpoints(self.logdir)
        if not found:
            return None
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
        return found[-1]

    def start(self, sess, saver):
        """Makes the folder ready, restores the latest checkpoint or initialises; returns the first epoch."""
        self.sess, self.saver = sess, saver
        if self.args.restart and os.path.exists(self.logdir):
            aside = f"{self.logdir.rstrip(os.sep)}.{time.strftime('%Y%m%d-%H%M%S')}"
            os.rename(self.logdir, aside)
            print(f"Moved the earlier run to {aside}", file=sys.stderr)
        os.makedirs(self.logdir, exist_ok=True)
        if self.resume_from:
            saver.restore(sess, self.resume_from)
            self.start_epoch, self.step = parse(self.resume_from)
            print(f"Resuming from {self.resume_from} (epoch {self.start_epoch}, step {self.step})")
        else:
            sess.run(tf.global_variables_initializer())
        self.epoch = self.start_epoch
        self.rows = read_record(self.logdir, self.start_epoch)
        write_record(self.logdir, self.rows)
        save_config(self.logdir, self.model, self.args.n_code, **self.settings)
        if self.start_epoch >= self.args.epochs:
            print(f"{self.logdir} already holds {self.start_epoch} epochs (--epochs "
                  f"{self.args.epochs}); nothing to train. Use a larger --epochs to go on.",
                  file=sys.stderr)
        self._epoch_started = time.time()
        return self.start_epoch

    def summary_writers(self):
        """TensorBoard writers for DIR/train (with the graph, on a fresh start) and DIR/validation."""
        graph = None if self.resume_from else self.sess.graph
        self.writers = [tf.summary.FileWriter(os.path.join(self.logdir, "train"), graph=graph),
                        tf.summary.FileWriter(os.path.join(self.logdir, "validation"))]
        return self.writers

    def summary_due(self):
        """True when the step just run (not yet counted) is one of every --summary-every steps."""
        return (self.step + 1) % self.args.summary_every == 0

    def step_done(self, new_cost):
        self._steps_ended = time.time()
        super().step_done(new_cost)

    def checkpoint_path(self, epoch):
        return checkpoint_path(self.logdir, epoch)

    def epoch_done(self, epoch, avg_cost, validation_loss, stage=WHOLE_NETWORK):
        """Records a finished, saved epoch and keeps the right checkpoints; stops here if asked."""
        now = time.time()
        row = dict(epoch=epoch, global_step=self.step, train_cost=f"{avg_cost:.9f}",
                   val_loss=f"{validation_loss:.7g}", seconds=f"{now - self._epoch_started:.3f}",
                   train_seconds=f"{self._steps_ended - self._epoch_started:.3f}", stage=stage)
        append_record(self.logdir, row)
        self.rows.append(row)
        retain(self.logdir)
        self._epoch_started = now
        self.check()

    def finish(self):
        """Closes the writers, draws the loss curve and says how the run ended; returns the exit status."""
        for writer in self.writers:
            writer.close()
        self._write_loss_curve(show=not self.stopped)
        kept = list_checkpoints(self.logdir)
        where = kept[-1] if kept else "none: no epoch finished"
        if self.stopped == "diverged":
            print(f"error: the cost became {self.bad_cost} in epoch {self.epoch}; training "
                  f"stopped. Last good checkpoint: {where}. Try a lower --learning-rate, "
                  f"or --restart.", file=sys.stderr)
            return 1
        if self.stopped == "interrupted":
            cut_short = (f"epoch {self.epoch} was cut short at step {self.in_epoch} of "
                         f"{self.total_batch}; " if self.in_epoch < self.total_batch else "")
            print(f"Interrupted: {cut_short}last checkpoint: {where}. "
                  f"Run the same command to resume.", file=sys.stderr)
            return 130
        return 0

    def _write_loss_curve(self, show):
        """Draws the record as the slides' loss curve into the run folder (and --save)."""
        if not self.rows:
            return
        fig = figures.loss_curve([int(r["epoch"]) for r in self.rows],
                                 [float(r["train_cost"]) for r in self.rows],
                                 [float(r["val_loss"]) for r in self.rows],
                                 f"{TITLES[self.model].capitalize()}, N_CODE={self.args.n_code}: "
                                 f"loss by epoch", [r.get("stage") or WHOLE_NETWORK for r in self.rows],
                                 LOSS_LABELS[self.settings.get("loss", "l2")])
        figures.save_figure(fig, os.path.join(self.logdir, LOSS_CURVE_FILE))
        if self.curve_is_the_figure and self.args.save:
            figures.save_figure(fig, self.args.save)
        if self.curve_is_the_figure and show and not self.args.no_show and figures.has_display():
            figures.plt.show()
        figures.plt.close(fig)
