"""What the TODOs' observers share: fixed inputs and weights, short summaries, and checks.

An observer runs a TODO's lines on inputs that are the same for every student
and yields `Observation`s: a value of what the lines made, of a kind that says
how it is compared with the reference, with the message to show if it differs. TensorFlow is imported the first time an
observer uses it, so reading the TODO declarations starts nothing.
"""

import collections
import importlib
import json
import zlib

import numpy as np

from aelab.workshop.source import Problem


class _Lazy:
    """A module imported on first use of one of its names."""

    def __init__(self, name):
        self._name = name

    def __getattr__(self, attr):
        return getattr(importlib.import_module(self._name), attr)


tf = _Lazy("tensorflow.compat.v1")
tensorflow = _Lazy("tensorflow")


def tf_module():
    """tensorflow.compat.v1 itself, to hand to a student's lines as their `tf`."""
    return importlib.import_module("tensorflow.compat.v1")

# A value observed, with the message to show if it differs from the reference, its tolerance
# (None: exactly, else (rtol, atol)) and its kind: VALUE (a number, a list, a string), or
# VARIABLES ({variable name: shape}: each missing, extra or reshaped variable is named).
Observation = collections.namedtuple("Observation", "key value message tolerance kind")
VALUE, VARIABLES = "value", "variables"
Observation.__new__.__defaults__ = (None, VALUE)
CLOSE = (1e-3, 1e-5)


def plain(value):
    """value as JSON keeps it: lists, floats, ints, strings."""
    return json.loads(json.dumps(value))


# A number the grader draws for each grading and mixes into every fixed input, so that values a
# handout stores (aelab/workshop_reference.json) are not the ones a grade is judged on.
SALT = None


def fixed(shape, seed, low=0.0, high=1.0):
    """Inputs that are the same for every student: uniform numbers from a seeded generator."""
    state = np.random.RandomState(seed if SALT is None else [seed, SALT])
    return state.uniform(low, high, shape).astype(np.float32)


def fill(sess, variables):
    """Gives each variable fixed values chosen by its name, so results do not depend on the seed."""
    for name, variable in variables.items():
        shape = variable.shape.as_list()
        noise = fixed(shape, zlib.crc32(name.encode()), -1, 1)
        ones = name.endswith(("gamma", "variance"))
        variable.load(1 + 0.2 * noise if ones else 0.2 * noise, sess)


def fingerprint(array):
    """A short, fixed summary of an array: 48 of its values spread over it, its mean and spread."""
    flat = np.asarray(array, np.float64).ravel()
    picked = flat[np.linspace(0, flat.size - 1, min(48, flat.size)).astype(int)]
    return [float(v) for v in picked] + [float(flat.mean()), float(flat.std())]


def need(namespace, names, kind, what):
    """The named objects, each checked to be of `kind`; Problem names the first missing or wrong."""
    for name in names:
        if name not in namespace:
            raise Problem(f"{name} is not defined")
        if not isinstance(namespace[name], kind):
            raise Problem(f"{name} should be {what}, not {type(namespace[name]).__name__}")
    return {name: namespace[name] for name in names}


def shape(tensor):
    return tensor.shape.as_list()


def variable_shapes(prefix=""):
    return {v.op.name[len(prefix):]: v.shape.as_list() for v in tf.global_variables()
            if v.op.name.startswith(prefix)}


def building(function, *args, prefix=""):
    """function(*args); if it raises, the variables it made so far go with the error."""
    try:
        return function(*args)
    except Exception as e:
        e.shapes = variable_shapes(prefix)
        raise


def run_region(handout, todo, index, namespace):
    """Runs the todo's region `index` on its own in namespace (line numbers as in its file).

    If the lines raise, the shapes of the tensors they made so far go with the error.
    """
    path, code = handout.code(todo, index)
    try:
        exec(compile(code, path, "exec"), namespace)
    except Exception as e:  # what was made before the error may say more than the error
        e.shapes = {name: shape(value) for name, value in namespace.items()
                    if isinstance(value, (tf.Tensor, tensorflow.Variable))}
        raise
    return namespace


def module(handout, todo, path):
    """The namespace of module `path` with the todo's lines in place and other TODOs as stubs."""
    namespace = {"__name__": "aelab_under_check"}
    exec(compile(handout.module_source(todo, path), path, "exec"), namespace)
    return namespace


def stand_in_loss(output, target):
    """A loss whose value tells which tensor came first: not the lab's loss."""
    return tf.reduce_sum(output) + 10.0 * tf.reduce_sum(target), tf.constant("summary")


def stand_in_layer(input, weight_shape, bias_shape, phase_train):
    """A layer with the lab layer's variables and a different sum: checks the wiring only."""
    W = tf.get_variable("W", weight_shape)
    b = tf.get_variable("b", bias_shape)
    return tf.tanh(tf.matmul(input, W) + b)


def stand_in_conv_layer(input, filter_shape, phase_train):
    """A convolution block with the lab block's filter and a different sum: checks the wiring only."""
    W = tf.get_variable("W", filter_shape)
    return tf.tanh(tf.nn.conv2d(input, W, strides=[1, 1, 1, 1], padding="SAME"))


def stand_in_encoder(x, n_code, phase_train, hidden=None):
    """An encoder whose code tells what it was given: not the lab's encoder."""
    return tf.concat([tf.reduce_sum(x, 1, keepdims=True), tf.reduce_max(x, 1, keepdims=True)], 1)


def stand_in_decoder(code, n_code, phase_train, hidden=None):
    """A decoder whose output tells what it was given: not the lab's decoder."""
    return tf.tile(code, [1, 392]) * 0.001


class StandInWriter:
    """What the loop's lines ask of a summary FileWriter: it keeps the steps it was given."""

    def __init__(self):
        self.steps = []

    def add_summary(self, summary, step):
        self.steps.append(int(step))
