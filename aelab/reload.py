"""Rebuilding a trained autoencoder of any kind (aelab/kinds.py) from its checkpoint alone.

`load(path)` accepts what a user is likely to type: a checkpoint prefix
(`.../model-checkpoint-0980-539000`), a run folder (its latest checkpoint), or
one of the checkpoint's own files (`.index`, `.meta`, `.data-00000-of-00001`).
The model (which one, n_code) comes from the model_config.json the training
script wrote beside it. Anything else ends the program with one line saying
what is wrong (`CheckpointError`), never a TensorFlow traceback.
"""

import glob
import os
import re

import numpy as np
import tensorflow.compat.v1 as tf

from aelab import LabError, checkpoints, kinds, model, paths, record

_FILE_SUFFIX = re.compile(r"\.(index|meta|data-\d+-of-\d+)$")


class CheckpointError(LabError):
    """The path names no usable checkpoint; the message says why and what to do."""


def _nearby(path, expect=None):
    """Checkpoints a user may have meant: in the folder named, or in run folders near it."""
    folder = path if os.path.isdir(path) else os.path.dirname(path) or "."
    while folder and not os.path.isdir(folder):
        folder = os.path.dirname(folder)
    folder = folder or "."
    found = checkpoints.list_checkpoints(folder)
    for run in sorted(glob.glob(os.path.join(glob.escape(folder), "*_logs"))):
        found += checkpoints.list_checkpoints(run)[-1:]
    if not found:
        scripts = " or ".join(kind.script for kind in expect or kinds.REGISTRY.values())
        return f"no checkpoints in {folder} either; train one first with {scripts}"
    shown = [paths.shown(p) for p in found[-6:]]
    return f"checkpoints in {paths.shown(folder)} and its run folders: " + ", ".join(shown)


def resolve(path, expect=None):
    """The checkpoint prefix that path names (see the module docstring)."""
    if os.path.isdir(path):
        found = checkpoints.list_checkpoints(path)
        if not found:
            raise CheckpointError(f"{path} holds no model-checkpoint-* files; "
                                  f"{_nearby(os.path.dirname(os.path.abspath(path)), expect)}")
        return found[-1]
    prefix = _FILE_SUFFIX.sub("", path)
    if os.path.isfile(prefix + ".index"):
        return prefix
    if os.path.exists(path):
        raise CheckpointError(f"{path} is not a TensorFlow checkpoint (no {os.path.basename(prefix)}"
                              f".index beside it); give a run folder or a model-checkpoint-* path")
    raise CheckpointError(f"no checkpoint at {path}; {_nearby(path, expect)}")


# The decoder's output layer: "output" in the kit, "code" on the slides (a handout may use either)
SLIDES_NAME = ("decoder/output/", "decoder/code/")


def saved_names(saved, variables):
    """{name in the checkpoint: variable}, given the checkpoint's {name: shape}, taking the slides'
    scope name where the kit's is absent."""
    names = {}
    for variable in variables:
        name = variable.op.name
        if name not in saved and name.startswith(SLIDES_NAME[0]):
            name = name.replace(*SLIDES_NAME, 1)
        names[name if name in saved else variable.op.name] = variable
    return names


def _mismatch(saved, names):
    """Why the checkpoint ({name: shape}) cannot fill these variables ({name in it: variable}), or None.

    Saver.restore does not compare shapes of resource variables, so a code of
    another size would load without complaint; hence this check first.
    """
    for name, variable in names.items():
        shape = variable.shape.as_list()
        if name not in saved:
            return f"it has no {name}"
        if list(saved[name]) != shape:
            return f"its {name} is {list(saved[name])}, the model needs {shape}"
    return None


def mean_l2_error(images, clean):
    """Mean over images of ||images - clean||, the training loss's measure, in NumPy."""
    return float(np.mean(np.sqrt(np.sum((images - clean) ** 2, axis=1))))


class Autoencoder:
    """A trained autoencoder in its own graph and session, for inference only."""

    def __init__(self, prefix, config):
        self.prefix = prefix
        parsed = checkpoints.parse(prefix)
        self.epoch = parsed[0] if parsed else None
        self.config = record.settings_at(config, self.epoch)  # as this epoch was trained
        self.kind = kinds.get(config["model"])
        self.n_code = config["n_code"]
        self.graph = tf.Graph()
        with self.graph.as_default():
            # The model for inference: no corruption, batch norm's moving averages
            self.x = tf.placeholder(tf.float32, name="x", shape=[None, model.n_input])
            self.phase_train = tf.placeholder(tf.bool, name="phase_train", shape=[])
            self.code, self.output = self.kind.build(self.x, self.n_code, self.phase_train, config)
            self.sess = tf.Session(graph=self.graph)
            try:
                saved = dict(tf.train.list_variables(prefix))
                names = saved_names(saved, tf.global_variables())
                mismatch = _mismatch(saved, names)
                if mismatch is None:
                    tf.train.Saver(names).restore(self.sess, prefix)
            except (tf.errors.OutOfRangeError, tf.errors.DataLossError) as e:
                others = [paths.shown(p) for p in
                          checkpoints.list_checkpoints(os.path.dirname(prefix) or ".") if p != prefix]
                raise CheckpointError(
                    f"{prefix} is damaged: its files are cut short or broken "
                    f"({type(e).__name__}); whole checkpoints beside it: "
                    f"{', '.join(others) or 'none'}") from None
            except (tf.errors.OpError, ValueError) as e:
                mismatch = str(getattr(e, "message", e)).strip().splitlines()[0][:160]
            if mismatch:
                raise CheckpointError(
                    f"{prefix} does not hold the {self.kind.title} with N_CODE {self.n_code} that "
                    f"its {record.CONFIG_FILE} describes ({mismatch})")

    @property
    def label(self):
        """What the model is, e.g. "denoising autoencoder (25% masking), epoch 10"."""
        loss = self.config.get("loss", self.kind.learns.get("loss"))
        details = ([loss] if loss != self.kind.learns.get("loss") else []) + self.kind.details(self.config)
        what = self.kind.title + (f" ({', '.join(details)})" if details else "")
        return f"{what}, epoch {self.epoch}" if self.epoch is not None else what

    def _run(self, tensor, fed, values, batch=2000):
        feed = {self.phase_train: False}  # batch norm's moving averages: inference
        parts = []
        for start in range(0, len(values), batch):
            feed[fed] = values[start:start + batch]
            parts.append(self.sess.run(tensor, feed_dict=feed))
        return np.concatenate(parts)

    def encode(self, images):
        """(N, 784) images -> (N, n_code) codes, with the input as given (no corruption)."""
        return self._run(self.code, self.x, images)

    def reconstruct(self, images):
        """(N, 784) images -> (N, 784) outputs, with the input as given (no corruption)."""
        return self._run(self.output, self.x, images)

    def decode(self, codes):
        """(N, n_code) codes -> (N, 784) images: the decoder alone, fed the codes.

        Feeds the kind's code tensor, which its inference graph reaches the output
        through (kinds.Kind's contract): a VAE's mean, a convolutional code.
        """
        return self._run(self.output, self.code, np.asarray(codes, np.float32))

    def weights(self, name):
        """The trained values of the model's variable `name` ("encoder/hidden/W"), as NumPy."""
        with self.graph.as_default():
            variable, = [v for v in tf.global_variables() if v.op.name == name]
        return self.sess.run(variable)


def add_figure_arguments(parser):
    """--save-dir and --no-show of a reload script, whose figures go beside the checkpoint it read."""
    group = parser.add_argument_group("figures")
    group.add_argument("--save-dir", metavar="DIR", default=None,
                       help="write the PNGs into DIR (default: the folder of the checkpoint, "
                            "when there is no display or with --no-show); each is named for "
                            "the figure and the checkpoint's epoch")
    group.add_argument("--no-show", action="store_true",
                       help="do not open windows; write the PNGs instead")
    return group


def figure_path(model, name, save_dir=None):
    """Where a reload script writes a figure of model: <name>_epoch<epoch>.png in save_dir, or
    beside the checkpoint, so that figures of other runs and epochs do not overwrite it."""
    epoch = "" if model.epoch is None else f"_epoch{model.epoch:04d}"
    return os.path.join(save_dir or os.path.dirname(model.prefix) or os.curdir, f"{name}{epoch}.png")


def load(path, expect=None):
    """Resolves path, reads the config beside it and restores the model.

    Args:
      path: prefix, run folder or checkpoint file.
      expect: a tuple of the kinds (aelab/kinds.py) this caller accepts, or None for any.
    """
    prefix = resolve(path, expect)
    folder = os.path.dirname(prefix) or "."
    try:
        config = record.load_config(folder)
    except ValueError as e:
        raise CheckpointError(str(e)) from None
    if config is None:
        scripts = ", ".join(kind.script for kind in kinds.REGISTRY.values())
        raise CheckpointError(f"{prefix} has no {record.CONFIG_FILE} beside it, so it was not "
                              f"written by {scripts} (the basic autoencoder saves no checkpoints)")
    kind = kinds.get(config["model"])
    if expect and kind not in expect:
        raise CheckpointError(f"{prefix} was written by {kind.script}; give a checkpoint of "
                              f"{' or '.join(e.script for e in expect)}")
    return Autoencoder(prefix, config)
