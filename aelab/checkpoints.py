"""Checkpoint names and which ones a long run keeps.

A run folder holds `model-checkpoint-<epoch:04d>-<global step>` checkpoints
(each an .index, .data-* and .meta file), one written per epoch. A 1000-epoch
run keeps the latest few and the milestone epochs 1, 2, 5, 10, 20, 50, 100,
200, 500, 1000, ... so that early and late models can still be compared.
"""

import glob
import os
import re

PREFIX = "model-checkpoint"
KEEP_LATEST = 3
_NAME = re.compile(re.escape(PREFIX) + r"-(\d+)-(\d+)$")


def save_path(logdir, epoch):
    """The prefix handed to Saver.save (which appends -<global step>)."""
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

    Rewrites TensorFlow's `checkpoint` state file to list what is kept, so
    tf.train.latest_checkpoint and TensorBoard see the same set.
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
        _write_state(logdir, kept)
    return kept


def _write_state(logdir, kept):
    """Writes the `checkpoint` state file (a text proto) naming kept, latest last.

    Names are relative, so the folder can be moved or copied.
    """
    names = [os.path.basename(prefix) for prefix in kept]
    lines = [f'model_checkpoint_path: "{names[-1]}"']
    lines += [f'all_model_checkpoint_paths: "{name}"' for name in names]
    path = os.path.join(logdir, "checkpoint")
    with open(path + ".tmp", "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(path + ".tmp", path)
