"""A training run's session work, around the slides' loop: a line or two per epoch.

A run folder (`mnist_autoencoder_hidden=2_logs/`, `dn_...` for the denoising
autoencoder) holds the checkpoints (aelab/checkpoints.py), model_config.json,
record.csv and loss_curve.png (aelab/record.py), TensorBoard events in
`train/` and `validation/`, and the folder's lock (aelab/lock.py). `Run`
checks and prepares the folder, restores a resumed run over the initial
values, watches each step (aelab/steps.py: progress, Ctrl-C, NaN), evaluates
in batches, records each epoch, keeps the right checkpoints and ends with the
right message and exit status.
"""

import os
import sys
import time

import numpy as np
import tensorflow.compat.v1 as tf

from aelab import checkpoints, faults, figures, input_data, lock, record, reported, steps


def add_run_arguments(parser, kind, n_code_name):
    """Adds the "outputs" group of a training script: --logdir and --restart. Returns the group."""
    group = parser.add_argument_group("outputs")
    group.add_argument("--logdir", metavar="DIR", default=None,
                       help=f"run folder (default: {kind.default_logdir(n_code_name)})")
    group.add_argument("--restart", action="store_true",
                       help="start over instead of resuming; an earlier run in the folder is "
                            "moved aside to DIR.<date-time>, not deleted")
    return group


def use_recorded_data(args):
    """A resume given no data option reads the data its run was trained on, as a reload does;
    a fresh start (or --restart) reads the default data."""
    config = None
    if not args.restart and checkpoints.list_checkpoints(args.logdir):
        try:
            config = record.load_config(args.logdir)
        except ValueError:  # Run says what is wrong with it
            pass
    input_data.use_recorded_data(args, config or {})


def in_batches(sess, fetches, feed_dict, batch, parts=()):
    """sess.run(fetches, feed_dict) over a whole validation or test set, `batch` images at a time.

    The set is the feed's largest array; the first fetch (the loss, a batch
    mean) is averaged over it, and so is each of `parts` (scalar tensors, the
    loss's reported parts); any other fetches (summaries) run on its first
    batch, with that loss fed the set's mean. Memory then does not grow with
    the set. Returns what sess.run would (a value, or a list), and the parts' means.
    """
    first, *rest = fetches if isinstance(fetches, (list, tuple)) else [fetches]
    key = max(feed_dict, key=lambda k: np.size(feed_dict[k]))
    images, totals = feed_dict[key], np.zeros(1 + len(parts))
    for start in range(0, len(images), batch):
        part = images[start:start + batch]
        totals += np.array(sess.run([first, *parts], {**feed_dict, key: part}), float) * len(part)
    mean, *means = np.float32(totals / len(images))
    if not isinstance(fetches, (list, tuple)):
        return mean, means
    others = sess.run(rest, {**feed_dict, key: images[:batch], first: mean})
    return [mean, *others], means


def summary_writers(logdir, graph, resumed_step=None):
    """TensorBoard writers for logdir/train (with the graph, on a fresh start) and logdir/validation.

    On a resume from resumed_step, TensorBoard is told to drop what the earlier
    run wrote after that step, so each step shows once.
    """
    writers = [tf.summary.FileWriter(os.path.join(logdir, "train"),
                                     graph=graph if resumed_step is None else None),
               tf.summary.FileWriter(os.path.join(logdir, "validation"))]
    if resumed_step is not None:
        for writer in writers:
            writer.add_session_log(tf.SessionLog(status=tf.SessionLog.START), resumed_step + 1)
    return writers


class Run:
    """The bookkeeping of one training run of a kind of model (aelab/kinds.py).

    Made before the graph (it only checks the folder then, and the memory the
    graph needs when its `with` block begins, before anything is written), and
    used as a context manager around the session's work: a stop signal or a
    cost that is not a number ends the `with` block at the next step, and so
    does a failed write (disk full, read-only folder); `finish` then says what
    happened. `Run.from_args` makes one from the lab scripts' options.

    Args:
      kind: the kinds.Kind trained.
      logdir: the run folder.
      n_code: the size of the code.
      total_batch: training steps per epoch.
      epochs: the epoch the run ends with.
      settings: what model_config.json records (record.settings): the learning
        rate, the batch size (its memory is checked), the data, what it learns,
        the architecture.
      restart: start over, the folder's earlier run moved aside.
      curve: where else to write the loss curve, when it is the script's figure
        (--save), or None; show: show the loss curve at the end where there is
        a display.
    """

    EVAL_BATCH = 1000  # images per sess.run when validating and testing

    def __init__(self, kind, logdir, n_code, total_batch, epochs, settings, restart=False,
                 curve=None, show=False):
        self.kind, self.logdir, self.n_code, self.epochs = kind, logdir, n_code, epochs
        self.settings, self.restart, self.curve, self.show = settings, restart, curve, show
        self.steps = steps.Steps(total_batch, epochs=epochs)
        self.loss_note = record.loss_note(kind, settings)  # said after each validation loss
        self.parts = reported.Parts(kind)  # the cost's parts (a VAE's KL), said beside it
        self.checkpoint_bytes = None  # of the session's graph, known in the `with` block
        self.candidates = [] if restart else checkpoints.resumable(logdir, kind, n_code, settings)
        self.lock = lock.FolderLock(logdir)
        self.sess = self.saver = self.resume_from = None
        self.recorded = {}  # the config of the run resumed, as it was
        self.start_epoch = 0
        self.rows, self.writers = [], []
        self.problem = None  # what could not be written, when a write failed
        self._epoch_started = self._steps_ended = time.time()

    @classmethod
    def from_args(cls, args, kind, total_batch, curve_is_the_figure=True, **more):
        """The Run of a script with the lab's options (n_code, --logdir, --restart, --epochs,
        --learning-rate, --batch-size, the data options, --save, --no-show); `more`: more of
        what model_config.json records (the architecture, what the kind learns).

        curve_is_the_figure: the loss curve is the script's figure, shown at the end
        where there is a display and written to --save too.
        """
        return cls(kind, args.logdir, args.n_code, total_batch, args.epochs,
                   record.settings(args, kind, more), restart=args.restart,
                   curve=args.save if curve_is_the_figure else None,
                   show=curve_is_the_figure and not args.no_show)

    @property
    def total_batch(self):
        """Training steps per epoch."""
        return self.steps.total_batch

    def resume(self, sess, saver):
        """Takes the folder and restores its newest whole checkpoint over the initial values.

        Returns the first epoch to train (0 on a fresh start).
        """
        self.sess, self.saver = sess, saver
        if self.restart and os.path.exists(self.logdir):
            self.lock.acquire()  # not while another run uses it
            self.lock.release()
            checkpoints.move_aside(self.logdir)
        os.makedirs(self.logdir, exist_ok=True)
        self.lock.acquire()
        self.resume_from = checkpoints.restore_newest(sess, saver, self.logdir, self.candidates)
        if self.resume_from:
            self.start_epoch, step = checkpoints.parse(self.resume_from)
            print(f"Resuming from {self.resume_from} (epoch {self.start_epoch}, step {step})")
        self.steps.epoch = self.start_epoch
        self.rows = checkpoints.recorded_rows(self.logdir, self.start_epoch)
        if self.resume_from:
            self.recorded = record.load_config(self.logdir) or {}
            note = record.resume_note(self.kind, self.rows, self.recorded, self.settings)
            if note:
                print(note, file=sys.stderr)
        record.write_record(self.logdir, self.kind, self.rows)
        self._save_config()
        if self.start_epoch >= self.epochs:
            print(f"{self.logdir} already holds {self.start_epoch} epochs (--epochs "
                  f"{self.epochs}); nothing to train. Use a larger --epochs to go on.",
                  file=sys.stderr)
        self.parts.find(sess.graph)
        self._epoch_started = time.time()
        return self.start_epoch

    @property
    def global_step(self):
        """Training steps done in all: the value of the graph's variable named global_step."""
        with self.sess.graph.as_default():
            variable, = [v for v in tf.global_variables() if v.op.name == "global_step"]
        return int(self.sess.run(variable))

    def summary_writers(self):
        """TensorBoard writers for DIR/train and DIR/validation (summary_writers)."""
        resumed = checkpoints.parse(self.resume_from)[1] if self.resume_from else None
        self.writers = summary_writers(self.logdir, self.sess.graph, resumed)
        return self.writers

    def step_done(self, new_cost, summary=None):
        """A step is done: progress bar; Ctrl-C or a cost that is not a number ends the `with` here.

        summary: the step's training summary, with the cost's parts (reported.Parts).
        """
        self._steps_ended = time.time()
        self.parts.step(summary)
        self.steps.step_done(new_cost)

    def evaluate(self, fetches, feed_dict):
        """sess.run(fetches, feed_dict) over a whole validation or test set, in batches (in_batches);
        the cost's reported parts are measured over it too, for `note`."""
        result, self.parts.means = in_batches(self.sess, fetches, feed_dict, self.EVAL_BATCH,
                                              self.parts.tensors)
        return result

    @property
    def note(self):
        """What the run says after a validation or test loss: the cost's parts measured with it,
        and what the loss is where it is not the lab's L2 of clean images."""
        return self.parts.note + self.loss_note

    def epoch_done(self, epoch, avg_cost, validation_loss, stage=record.WHOLE_NETWORK):
        """Records a finished, saved epoch and keeps the right checkpoints; stops here if asked."""
        now = time.time()
        row = dict(epoch=epoch, global_step=self.global_step, train_cost=f"{avg_cost:.9f}",
                   val_loss=f"{validation_loss:.7g}", seconds=f"{now - self._epoch_started:.3f}",
                   train_seconds=f"{self._steps_ended - self._epoch_started:.3f}", stage=stage,
                   precision=self.settings.get("precision", "float32"),
                   **record.epoch_settings(self.kind, self.settings), **self.parts.row())
        record.append_record(self.logdir, self.kind, row)
        self.rows.append(row)
        self._save_config()
        checkpoints.retain(self.logdir)
        self._epoch_started = now
        self.steps.check()

    def _save_config(self):
        """model_config.json: the run's settings now, and the epochs trained with each value."""
        record.save_config(self.logdir, self.kind, self.n_code, **self.settings,
                           trained_with=record.trained_with(self.kind, self.rows, self.recorded))

    def __enter__(self):
        """Stops first, writing nothing, where the graph would not fit in memory; then watches."""
        faults.check_memory(max(self.settings["batch_size"], self.EVAL_BATCH))
        self.checkpoint_bytes = faults.checkpoint_bytes()
        self.steps.__enter__()
        return self

    def __exit__(self, kind, value, traceback):
        self.problem = faults.write_problem(value) if value is not None else None
        if self.problem:  # a write failed: say so in finish, keep what is whole, remove the rest
            self.steps.stopped = "write failed"
            if os.path.isdir(self.logdir):
                checkpoints.remove_partial(self.logdir)
        elif kind is not None and kind is not steps.Stop:
            self.lock.release()
        return self.steps.__exit__(kind, value, traceback) or bool(self.problem)

    def finish(self):
        """Closes the writers, draws the loss curve and says how the run ended; returns the exit status."""
        try:
            for writer in self.writers:
                writer.close()
            if self.rows and os.path.isdir(self.logdir):
                record.write_loss_curve(
                    self.logdir, self.rows, f"{self.kind.title.capitalize()} on "
                    f"{input_data.dataset_title(self.settings['dataset'], self.settings['data_dir'])}, "
                    f"N_CODE={self.n_code}: loss by epoch", self.kind, self.settings,
                    also=self.curve, show=self.show and not self.steps.stopped)
        except (OSError, tf.errors.OpError, figures.FigureError) as e:
            why = e.message if isinstance(e, figures.FigureError) else faults.write_problem(e)
            if not why:
                raise
            self.problem = self.problem or why
        finally:
            self.lock.release()
        kept = checkpoints.list_checkpoints(self.logdir) if os.path.isdir(self.logdir) else []
        where = kept[-1] if kept else "none: no epoch finished"
        if self.problem:
            print(faults.could_not_write(self.logdir, self.problem, where, self.checkpoint_bytes),
                  file=sys.stderr)
            return 1
        if self.steps.stopped:
            return steps.ending(self.steps, self.steps.place, f"last checkpoint: {where}",
                                then="Run the same command to resume.",
                                retry="Try a lower --learning-rate, or --restart.")
        return 0
