"""A run folder's checkpoints: their names, which are kept, and which a run resumes from.

One checkpoint is written per epoch, `model-checkpoint-<epoch:04d>-<global step>`
(.index, .data-*, .meta); a long run keeps the latest few and the milestone
epochs 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, ... so that early and late
models can still be compared; TensorFlow's `checkpoint` file lists those kept.
A rerun resumes from the newest whole one, only if the folder holds the same
model; what a save cut short is removed, and a damaged checkpoint is set
aside as *.damaged.
"""

import glob
import os
import re
import sys
import time

import tensorflow.compat.v1 as tf

from aelab import LabError, kinds, paths, record

PREFIX = "model-checkpoint"
KEEP_LATEST = 3
_NAME = re.compile(re.escape(PREFIX) + r"-(\d+)-(\d+)$")


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


def remove_partial(logdir):
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


def _trained_by(kind):
    """The script that trains kind, with the kind's title where the script trains others too."""
    shared = [other for other in kinds.REGISTRY.values() if other.script == kind.script]
    return f"{kind.script} ({kind.title})" if len(shared) > 1 else kind.script


def resumable(logdir, kind, n_code, settings):
    """The checkpoints a run may resume from, oldest first; LabError if the folder holds another run.

    Another run: another kind of model or N_CODE, another value of what the kind
    learns (kind.learns, where settings has the key), or another architecture.
    """
    found = list_checkpoints(logdir)
    if not found:
        return []
    try:
        config = record.load_config(logdir)
    except ValueError as e:
        raise LabError(str(e)) from None
    if config is None or (config["model"], config["n_code"]) != (kind.name, n_code):
        held = (f"a run of {_trained_by(kinds.get(config['model']))} with N_CODE "
                f"{config['n_code']}" if config else "checkpoints of an unknown model")
        raise LabError(f"{logdir} holds {held}, not of {_trained_by(kind)} with N_CODE "
                       f"{n_code}; choose another --logdir, or --restart to move that run aside")
    learns = kind.learns
    differ = {key: config.get(key, learns[key]) for key in learns
              if key in settings and config.get(key, learns[key]) != settings[key]}
    if differ:
        held = " ".join(f"--{key.replace('_', '-')} {value}" for key, value in differ.items())
        raise LabError(f"{logdir} was trained with {held}; resume with the same, or --restart "
                       f"to move that run aside")
    for key in kind.architecture:
        if key in settings and list(config.get(key, settings[key])) != list(settings[key]):
            raise LabError(f"{logdir} holds a model with {key} {config[key]}, not "
                           f"{list(settings[key])}; choose another --logdir, or --restart to "
                           f"move that run aside")
    return found


def restore_newest(sess, saver, logdir, candidates):
    """Restores the newest candidate that reads whole, setting damaged ones aside; returns it.

    None where no candidate is left: the variables keep their initial values.
    """
    remove_partial(logdir)
    for prefix in reversed(candidates):
        try:
            saver.restore(sess, prefix)
            return prefix
        except (tf.errors.OutOfRangeError, tf.errors.DataLossError) as e:
            set_aside(prefix)
            print(f"{prefix} is damaged (its files are cut short or broken: "
                  f"{type(e).__name__}); set aside as {os.path.basename(prefix)}.*.damaged",
                  file=sys.stderr)
    if candidates:
        print(f"{logdir} holds no readable checkpoint; training from the beginning",
              file=sys.stderr)
    return None


def move_aside(logdir):
    """--restart: renames an earlier run's folder to <logdir>.<date-time>; returns the new name.

    LabError where the system refuses: on Windows, a folder that another program
    has open (TensorBoard, Explorer, a prompt whose current folder it is)
    cannot be renamed.
    """
    aside = paths.beside(logdir, "." + time.strftime("%Y%m%d-%H%M%S"))
    try:
        os.rename(logdir, aside)
    except PermissionError as e:
        raise LabError(f"could not move {logdir} aside for --restart ({e.strerror}): a folder "
                       f"that another program has open (TensorBoard, Explorer, a command prompt "
                       f"in it) cannot be renamed on Windows; close that program and run the same "
                       f"command again, or choose another --logdir") from None
    print(f"Moved the earlier run to {aside}")
    return aside


def recorded_rows(logdir, up_to_epoch):
    """record.csv's rows up to the epoch resumed from, with a row given back to any checkpoint
    that was saved without one (the run stopped between the two)."""
    rows = record.read_record(logdir, up_to_epoch)
    recorded = {int(row["epoch"]) for row in rows}
    for prefix in list_checkpoints(logdir):
        epoch, step = parse(prefix)
        if epoch <= up_to_epoch and epoch not in recorded:
            rows.append(dict(epoch=epoch, global_step=step))
            print(f"record.csv had no row for epoch {epoch} (the run stopped between saving "
                  f"{os.path.basename(prefix)} and recording it); its row is back, without "
                  f"its costs", file=sys.stderr)
    return sorted(rows, key=lambda row: int(row["epoch"]))
