"""The workshop: a student folder with the slides' "to do" blanks, and a checker for them.

    python -m aelab.workshop make DIR [--data-dir SRC | --dataset fashion] [--solution]
    python -m aelab.workshop check [DIR]

`make` cuts the handout from this kit's current sources: the lab scripts and
what they import, with each blank declared in TODOS below replaced by a
marked stub that stops the program with one line until it is filled in
(`--solution`: the same folder with the kit's own lines between the marks).
It also stores, as numbers, what the kit's own lines give in the checks
below, so `check` can compare a student's lines with them without holding
the answers.

`check` runs each TODO's lines on their own, with fixed inputs, fixed weights
and stand-ins for the other TODOs, and prints one table: `ok`, `not filled
in yet`, or what is wrong in one line.
"""

import argparse
import ast
import collections
import json
import os
import re
import shutil
import textwrap
import traceback
import unicodedata
import zlib
from types import SimpleNamespace

from aelab import quiet_tensorflow  # noqa: F401  (first: TensorFlow starts without its start-up lines)
import numpy as np
import tensorflow
import tensorflow.compat.v1 as tf

from aelab import LabError, input_data

KIT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = ("basic_autoencoder.py", "autoencoder_mnist.py", "denoising_autoencoder_mnist.py",
           "ae_vs_pca.py", "dn_ae_test.py")
REFERENCE_FILE = os.path.join("aelab", "workshop_reference.json")
HANDOUT_REQUIREMENTS = ("tensorflow", "tensorboard", "numpy", "matplotlib", "scikit-learn", "pillow")

# A blank: lines of `function` in `file`, from the statement that assigns `first`
# (a name), or the body's statement number `first` after its docstring, for
# `count` statements (None: to the end of that block).
Region = collections.namedtuple("Region", "file function first count")
Todo = collections.namedtuple("Todo", "number title hint_ko hint_en regions")

TODOS = (
    Todo(1, "오토인코더 모델 구성",
         "인코더와 디코더: 가중치와 편향을 정규분포 난수로 만들고, 각 층은 sigmoid 를 쓴다",
         "encoder and decoder: weights and biases from random normal numbers, a sigmoid "
         "on each layer (W_encode, b_encode, encoder, W_decode, b_decode, decoder)",
         [Region("basic_autoencoder.py", "main", "W_encode", 6)]),
    Todo(2, "모델 학습시키기 (손실 함수와 최적화 함수 설정)",
         "X 와 decoder 의 차이의 제곱의 평균을 cost 로, RMSProp 으로 최소화하는 optimizer",
         "cost: the mean squared difference of X and decoder; optimizer: RMSProp at "
         "learning_rate minimising it",
         [Region("basic_autoencoder.py", "main", "cost", 2)]),
    Todo(3, "모델 테스트 해보기",
         "테스트 이미지 sample_size 개의 재구성(samples)을 구하고, 위에는 원본, 아래에는 "
         "재구성을 28x28 로 imshow",
         "samples: the decoder's output for the first sample_size test images; then the "
         "2 x sample_size axes, test images on top and samples below, 28x28, axes off",
         [Region("basic_autoencoder.py", "main", "samples", 3)]),
    Todo(4, "layer함수",
         "W (표준편차 sqrt(1/n_in) 정규분포) 와 b (0) 를 만들고 input W + b 를 "
         "layer_batch_norm 한 뒤 sigmoid",
         "make W (normal, standard deviation sqrt(1/n_in)) and b (zeros); return the "
         "sigmoid of layer_batch_norm of input W + b",
         [Region(os.path.join("aelab", "model.py"), "layer", None, None)]),
    Todo(5, "인코더/디코더",
         "variable_scope 안에서 layer 를 네 번: 784-1000-500-250-n_code, 디코더는 그 반대",
         "four layers, each in its variable_scope: 784-1000-500-250-n_code for the encoder, "
         "back to 784 for the decoder",
         [Region(os.path.join("aelab", "model.py"), "encoder", 1, None),
          Region(os.path.join("aelab", "model.py"), "decoder", 1, None)]),
    Todo(6, "손실 함수 정의 및 신경망 학습 알고리즘",
         "각 이미지의 L2 거리 sqrt(sum((output - x)^2)) 의 미니배치 평균; Adam 으로 최소화",
         "the minibatch mean of each image's L2 distance sqrt(sum((output - x)^2)); Adam "
         "(beta1 0.9, beta2 0.999, epsilon 1e-8) minimising cost",
         [Region(os.path.join("aelab", "model.py"), "loss", "l2", 2),
          Region(os.path.join("aelab", "model.py"), "training", None, None),
          Region(os.path.join("aelab", "model.py"), "evaluate", "l2", 2),
          Region("autoencoder_mnist.py", "autoencoder", "cost", 1)]),
    Todo(7, "모델 학습시키기",
         "미니배치를 가져와 train_op 와 cost 를 실행(phase_train True, **feed), "
         "run.summary_due() 일 때 요약 기록, avg_cost 에 더하기",
         "take a minibatch, run train_op and cost (phase_train True, **feed), write the "
         "summary when run.summary_due(), add to avg_cost",
         [Region("autoencoder_mnist.py", "train", "minibatch_x", 4)]),
    Todo(8, "corrupt_input 함수",
         "tf.random_uniform 으로 0 또는 1 인 정수를 x 크기만큼 뽑아 x 에 곱한다",
         "draw integers 0 or 1 (tf.random_uniform, int32) shaped like x and multiply them "
         "into x",
         [Region(os.path.join("aelab", "model.py"), "corrupt_input", None, None)]),
    Todo(9, "손상된 이미지 생성",
         "corrupt 가 1 이면 corrupt_input(x), 0 이면 x 가 c_x 가 된다",
         "c_x is corrupt_input(x) when corrupt is 1 and x when it is 0",
         [Region("denoising_autoencoder_mnist.py", "denoising_autoencoder", "c_x", 1)]),
    Todo(10, "loss function",
         "기본 오토인코더와 같은 손실 함수, 단 손상된 c_x 가 아닌 원본 x 와 비교",
         "the same loss as the deep autoencoder, against the clean x (not c_x)",
         [Region("denoising_autoencoder_mnist.py", "denoising_autoencoder", "cost", 1)]),
)

_START = re.compile(r"^(\s*)# TODO (\d+): ")
_END = re.compile(r"^\s*# TODO (\d+) 끝")


class Problem(Exception):
    """What is wrong with a TODO's lines, in one line for the table."""


# ---------------------------------------------------------------- cutting the handout

def _assigned(node):
    """The names a statement assigns (targets of = and +=)."""
    targets = getattr(node, "targets", None) or [getattr(node, "target", None)]
    return {n.id for t in targets if t is not None for n in ast.walk(t) if isinstance(n, ast.Name)}


def _starts(region, index, node):
    if region.first is None:
        return index == 0
    if isinstance(region.first, int):
        return index == region.first
    return region.first in _assigned(node)


def _span(tree, region):
    """(first line, last line, indent) of a region's statements in a parsed kit source."""
    functions = [n for n in ast.walk(tree)
                 if isinstance(n, ast.FunctionDef) and n.name == region.function]
    for function in functions[:1]:
        blocks = [function.body] + [getattr(n, field) for n in ast.walk(function)
                                    if n is not function and isinstance(n, ast.stmt)
                                    for field in ("body", "orelse") if getattr(n, field, None)]
        for block in blocks:
            if block is function.body and isinstance(block[0], ast.Expr) and isinstance(
                    block[0].value, ast.Constant):
                block = block[1:]  # the docstring stays
            for index, node in enumerate(block):
                if _starts(region, index, node):
                    last = block[-1] if region.count is None else block[index + region.count - 1]
                    return node.lineno, last.end_lineno, node.col_offset
    raise LabError(f"workshop: the kit's {region.file} has no lines for {region}; "
                   f"TODOS in aelab/workshop.py must follow the code")


def _marked(todo, region, indent, lines):
    """A region between its marks: the given lines, or the stub when lines is None."""
    pad = " " * indent
    where = f"{region.file}, {region.function}()"
    head = [f"{pad}# TODO {todo.number}: {todo.title} ({where})",
            f"{pad}# 힌트: {todo.hint_ko}", f"{pad}# Hint: {todo.hint_en}"]
    body = lines if lines is not None else [
        f'{pad}raise SystemExit("TODO {todo.number} ({todo.title}) is not filled in yet: '
        f'{where}")']
    return head + body + [f"{pad}# TODO {todo.number} 끝 (end of TODO {todo.number})"]


def cut(path, text, solution):
    """The kit file `text` with its TODO regions marked: stubs, or the kit's lines (solution)."""
    tree = ast.parse(text)
    lines = text.splitlines()
    spans = [(todo, region) + _span(tree, region)
             for todo in TODOS for region in todo.regions if region.file == path]
    for todo, region, first, last, indent in sorted(spans, key=lambda s: -s[2]):
        kept = lines[first - 1:last] if solution else None
        lines[first - 1:last] = _marked(todo, region, indent, kept)
    return "\n".join(lines) + "\n"


def handout_files():
    """The kit files a handout holds, relative to the kit: the lab scripts and aelab/."""
    package = sorted(os.path.join("aelab", name) for name in os.listdir(os.path.join(KIT, "aelab"))
                     if name.endswith(".py"))
    return list(SCRIPTS) + package


def make(folder, data_dir=None, dataset=None, solution=False):
    """Writes the handout (or its solution) into a new folder; returns the TODO table rows."""
    if os.path.exists(folder) and os.listdir(folder):
        raise LabError(f"{folder} is not empty; choose a new folder for the handout")
    mnist = None
    if data_dir or dataset:  # check the data first, so a bad folder makes nothing
        mnist = input_data.read_data_sets(data_dir, dataset=dataset or input_data.DEFAULT_DATASET)
    texts = {}
    for path in handout_files():
        with open(os.path.join(KIT, path), encoding="utf-8") as f:
            texts[path] = f.read()
    answers = {p: cut(p, t, True) if any(r.file == p for todo in TODOS for r in todo.regions)
               else t for p, t in texts.items()}
    reference = {str(todo.number): observations(todo, answers.get) for todo in TODOS}
    tmp = folder.rstrip(os.sep) + ".part"
    shutil.rmtree(tmp, ignore_errors=True)
    for path, text in texts.items():
        if not solution and text != answers[path]:
            text = cut(path, text, False)
        _write(os.path.join(tmp, path), answers[path] if solution else text)
    _write(os.path.join(tmp, REFERENCE_FILE), json.dumps(reference, indent=1) + "\n")
    _write(os.path.join(tmp, "requirements.txt"), _requirements())
    if mnist is not None:
        source = data_dir or input_data.default_data_dir(dataset)
        target = os.path.join(tmp, "mnist", "data")
        os.makedirs(target)
        for name in input_data.FILES:
            found = input_data._find(source, name)
            shutil.copy(found, os.path.join(target, os.path.basename(found)))
    _write(os.path.join(tmp, "README.md"), handout_readme(mnist is not None, solution))
    if os.path.exists(folder):
        os.rmdir(folder)
    os.rename(tmp, folder)


def _write(path, text):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def _requirements():
    """The kit's requirement lines for what the scripts need, and Jupyter, as the slides list it."""
    with open(os.path.join(KIT, "requirements.txt"), encoding="utf-8") as f:
        kept = [line for line in f if line.split(">")[0].split("=")[0].strip() in HANDOUT_REQUIREMENTS]
    return "".join(kept) + "notebook>=7,<8\n"


# ---------------------------------------------------------------- reading a handout's TODOs

def _marks(text, number):
    """(line number of the first inner line, inner lines) of each TODO `number` in a text."""
    lines, found, start = text.splitlines(), [], None
    for index, line in enumerate(lines, 1):
        start_mark, end_mark = _START.match(line), _END.match(line)
        if start_mark and int(start_mark.group(2)) == number:
            start = index
        elif end_mark and int(end_mark.group(1)) == number and start:
            found.append((start + 1, lines[start:index - 1]))
            start = None
    return found


class Handout:
    """The marked TODO regions of a handout, read through `read(path) -> text`."""

    def __init__(self, read):
        self.read = read

    def regions(self, todo):
        """Each of the todo's regions: (path, line number of its first inner line, inner lines)."""
        found = []
        for path in dict.fromkeys(region.file for region in todo.regions):
            text = self.read(path)
            if text is None:
                raise Problem(f"{path} is missing")
            found += [(path, start, inner) for start, inner in _marks(text, todo.number)]
        if len(found) != len(todo.regions):
            raise Problem(f"the marks of TODO {todo.number} are broken: keep each '# TODO "
                          f"{todo.number}: ...' line and its '# TODO {todo.number} 끝' line")
        return found

    def filled(self, todo):
        stub = f'raise SystemExit("TODO {todo.number} ('
        return all(any(line.strip() and not line.strip().startswith("#") for line in lines)
                   and not any(stub in line for line in lines)
                   for _, _, lines in self.regions(todo))

    def run(self, todo, index, namespace):
        """Runs the todo's region `index` on its own in namespace (line numbers as in its file)."""
        path, start, lines = self.regions(todo)[index]
        code = "\n" * (start - 1) + textwrap.dedent("\n".join(lines))
        try:
            exec(compile(code, path, "exec"), namespace)
        except Exception as e:  # what was made before the error may say more than the error
            e.shapes = {name: shape(value) for name, value in namespace.items()
                        if isinstance(value, (tf.Tensor, tensorflow.Variable))}
            raise
        return namespace

    def module(self, todo, path):
        """The namespace of module `path` with the todo's lines in place and other TODOs as stubs."""
        lines = self.read(path).splitlines()
        for other in TODOS:
            if other is todo:
                continue
            for start, inner in _marks("\n".join(lines), other.number):
                indent = re.match(r"\s*", lines[start - 2]).group(0)
                stub = f'{indent}raise SystemExit("TODO {other.number} is not filled in yet")'
                lines[start - 1:start - 1 + len(inner)] = [stub] + [""] * (len(inner) - 1)
        namespace = {"__name__": "aelab_under_check"}
        exec(compile("\n".join(lines) + "\n", path, "exec"), namespace)
        return namespace


# ---------------------------------------------------------------- observing a TODO's lines

Obs = collections.namedtuple("Obs", "key value message tolerance")
Obs.__new__.__defaults__ = (None,)  # tolerance: None compares exactly, else (rtol, atol)
CLOSE = (1e-3, 1e-5)


def fixed(shape, seed, low=0.0, high=1.0):
    """Inputs that are the same for every student: uniform numbers from a seeded generator."""
    return np.random.RandomState(seed).uniform(low, high, shape).astype(np.float32)


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


def stand_in_loss(output, target):
    """A loss whose value tells which tensor came first: not the lab's loss."""
    return tf.reduce_sum(output) + 10.0 * tf.reduce_sum(target), tf.constant("summary")


def stand_in_layer(input, weight_shape, bias_shape, phase_train):
    """A layer with the lab layer's variables and a different sum: checks the wiring only."""
    W = tf.get_variable("W", weight_shape)
    b = tf.get_variable("b", bias_shape)
    return tf.tanh(tf.matmul(input, W) + b)


def observe_basic_model(handout, todo):
    with tf.Graph().as_default():
        tf.set_random_seed(0)
        X = tf.placeholder(tf.float32, [None, 784])
        ns = handout.run(todo, 0, {"tf": tf, "n_input": 784, "n_hidden": 256, "X": X})
        variables = need(ns, ("W_encode", "b_encode", "W_decode", "b_decode"), tensorflow.Variable,
                         "a tf.Variable")
        tensors = need(ns, ("encoder", "decoder"), tf.Tensor, "a tensor")
        for name, value in {**variables, **tensors}.items():
            yield Obs(f"shape of {name}", shape(value), f"{name} has shape {{got}}, expected {{want}}")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            start = sess.run(variables["W_encode"])
            yield Obs("W_encode starts", [float(start.mean()), float(start.std())],
                      "W_encode starts with mean and standard deviation {got}, expected about "
                      "{want}: random normal numbers", (0, 0.05))
            fill(sess, variables)
            for name, tensor in tensors.items():
                yield Obs(f"{name} values", fingerprint(sess.run(tensor, {X: fixed((5, 784), 1)})),
                          f"{name} differs from the reference: the layer before it times the "
                          f"weights, plus the bias, through a sigmoid?", CLOSE)


def observe_basic_training(handout, todo):
    with tf.Graph().as_default():
        X = tf.placeholder(tf.float32, [None, 784])
        V = tf.Variable(fixed((1, 784), 2, -2, 2))
        ns = handout.run(todo, 0, {"tf": tf, "learning_rate": 0.01, "X": X,
                                       "decoder": tf.sigmoid(V)})
        cost = need(ns, ["cost"], tf.Tensor, "a tensor")["cost"]
        optimizer = need(ns, ["optimizer"], tf.Operation, "the op that minimize() returns")
        feed = {X: fixed((6, 784), 3)}
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            yield Obs("cost", float(sess.run(cost, feed)), "cost is {got}, expected {want}: the "
                      "mean of the squared difference between X and decoder?", CLOSE)
            sess.run(optimizer["optimizer"], feed)
            yield Obs("one step", fingerprint(sess.run(V)), "one training step differs from the "
                      "reference: RMSProp at learning_rate, minimising cost?", CLOSE)


def observe_basic_test(handout, todo):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    with tf.Graph().as_default(), tf.Session() as sess:
        X = tf.placeholder(tf.float32, [None, 784])
        images = fixed((12, 784), 4)
        ns = handout.run(todo, 0, {
            "tf": tf, "np": np, "plt": plt, "sample_size": 10, "X": X, "sess": sess,
            "decoder": X * 0.5 + 0.25, "mnist": SimpleNamespace(test=SimpleNamespace(images=images))})
    samples = need(ns, ["samples"], np.ndarray, "an array (what sess.run gives)")["samples"]
    yield Obs("samples shape", list(samples.shape), "samples has shape {got}, expected {want}")
    yield Obs("samples", fingerprint(samples), "samples differs from the reference: the "
              "decoder's output for the first sample_size test images?", CLOSE)
    if "ax" not in ns:
        raise Problem("ax is not defined")
    shown, off = [], []
    for row in range(2):
        for i in range(10):
            axes = ns["ax"][row][i]
            if not axes.get_images():
                raise Problem(f"ax[{row}][{i}] shows no image")
            shown.append(np.asarray(axes.get_images()[-1].get_array(), np.float64))
            off.append(not axes.axison)
    plt.close("all")
    yield Obs("shown shape", list(shown[0].shape), "the images shown are {got}, expected {want}")
    yield Obs("shown", fingerprint(np.stack(shown)), "the images shown differ from the "
              "reference: test images on the top row, samples below, each reshaped to 28x28?",
              CLOSE)
    yield Obs("axes off", all(off), "some axes still show their frame and ticks: set_axis_off()")


def observe_layer(handout, todo):
    model = handout.module(todo, os.path.join("aelab", "model.py"))
    with tf.Graph().as_default():
        tf.set_random_seed(0)
        x = tf.placeholder(tf.float32, [None, 100])
        phase_train = tf.placeholder(tf.bool, [])
        with tf.variable_scope("check"):
            output = building(model["layer"], x, [100, 50], [50], phase_train, prefix="check/")
        yield Obs("variables", variable_shapes("check/"), "variables")
        variables = {v.op.name: v for v in tf.global_variables()}
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            W, b = sess.run([variables["check/W"], variables["check/b"]])
            yield Obs("W starts", [float(W.mean()), float(W.std())], "W starts with mean and "
                      "standard deviation {got}, expected about {want}: sqrt(1/n_in)", (0, 0.01))
            yield Obs("b starts", float(np.abs(b).max()), "b should start at 0", (0, 1e-6))
            fill(sess, variables)
            for phase in (False, True):
                value = sess.run(output, {x: fixed((8, 100), 5), phase_train: phase})
                yield Obs(f"output, phase_train {phase}", fingerprint(value),
                          "output differs from the reference: is the activation a sigmoid of "
                          "layer_batch_norm(input W + b)?", CLOSE)


def observe_encoder_decoder(handout, todo):
    model = handout.module(todo, os.path.join("aelab", "model.py"))
    model["layer"] = stand_in_layer
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 784])
        phase_train = tf.placeholder(tf.bool, [])
        code = building(model["encoder"], x, 2, phase_train)
        output = building(model["decoder"], code, 2, phase_train)
        yield Obs("variables", variable_shapes(), "variables")
        with tf.Session() as sess:
            fill(sess, {v.op.name: v for v in tf.global_variables()})
            images = fixed((3, 784), 6)
            yield Obs("code", fingerprint(sess.run(code, {x: images})), "code differs from the "
                      "reference: each encoder layer on the one before, from x to the code?", CLOSE)
            yield Obs("output", fingerprint(sess.run(output, {x: images})), "output differs from "
                      "the reference: each decoder layer on the one before, from the code?", CLOSE)


def observe_loss_and_training(handout, todo):
    model = handout.module(todo, os.path.join("aelab", "model.py"))
    with tf.Graph().as_default():
        output = tf.placeholder(tf.float32, [None, 784])
        x = tf.placeholder(tf.float32, [None, 784])
        train_loss, train_summary_op = model["loss"](output, x)
        val_loss = model["evaluate"](output, x)[0]
        V = tf.Variable(fixed((10,), 8))
        global_step = tf.Variable(0, trainable=False)
        train_op = model["training"](tf.reduce_sum(tf.square(V - fixed((10,), 9))), global_step,
                                     0.001)
        feed = {output: fixed((5, 784), 6), x: fixed((5, 784), 7)}
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            message = ("{} is {{got}}, expected {{want}}: the minibatch mean of each image's L2 "
                       "distance sqrt(sum((output - x)^2))?")
            yield Obs("train_loss", float(sess.run(train_loss, feed)), message.format("train_loss"),
                      CLOSE)
            yield Obs("val_loss", float(sess.run(val_loss, feed)), message.format("val_loss"), CLOSE)
            summary = tf.Summary.FromString(sess.run(train_summary_op, feed))
            yield Obs("summary tag", summary.value[0].tag, "the summary is tagged {got}, expected "
                      "{want}")
            sess.run(train_op)
            yield Obs("one step", fingerprint(sess.run(V)), "one training step differs from the "
                      "reference: Adam (beta1 0.9, beta2 0.999, epsilon 1e-8) at learning_rate?",
                      CLOSE)
            yield Obs("global step", int(sess.run(global_step)), "global_step is {got} after one "
                      "step, expected {want}: minimize(cost, global_step=global_step)")
    yield from observe_loss_call(handout, todo, 3)


def observe_loss_call(handout, todo, index=0):
    images = fixed((2, 784), 12)
    with tf.Graph().as_default():
        ns = handout.run(todo, index, {
            "tf": tf, "loss": stand_in_loss, "output": tf.constant(fixed((2, 784), 11)),
            "x": tf.constant(images), "c_x": tf.constant(images * (fixed((2, 784), 13) > 0.5))})
        cost = need(ns, ("cost", "train_summary_op"), object, "")["cost"]
        with tf.Session() as sess:
            yield Obs("cost line", float(sess.run(cost)), "cost differs from the reference: "
                      "does the loss compare the output with the clean x (not c_x)?", CLOSE)


class StandInRun:
    """What the loop's lines ask of runs.Run: the step count and when a summary is due."""

    def __init__(self):
        self.step = 0

    def summary_due(self):
        return (self.step + 1) % 2 == 0


class StandInWriter:
    def __init__(self):
        self.steps = []

    def add_summary(self, summary, step):
        self.steps.append(int(step))


def observe_training_loop(handout, todo):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 784])
        phase_train = tf.placeholder(tf.bool, [])
        extra = tf.placeholder_with_default(0.0, [])  # like the denoising script's corrupt
        W = tf.Variable(fixed((784, 1), 14, -0.1, 0.1))
        cost = (tf.reduce_mean(tf.square(tf.matmul(x, W) - 1))
                * (1 + tf.cast(phase_train, tf.float32)) * (1 + extra))
        global_step = tf.Variable(0, trainable=False)
        train_op = tf.train.GradientDescentOptimizer(0.01).minimize(cost, global_step)
        run, writer = StandInRun(), StandInWriter()
        data = input_data.DataSet(fixed((20, 784), 15), np.zeros(20), seed=0)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            ns = {"tf": tf, "np": np, "mnist": SimpleNamespace(train=data), "batch_size": 4,
                  "total_batch": 3, "sess": sess, "train_op": train_op, "cost": cost,
                  "train_summary_op": tf.summary.scalar("train_cost", cost), "x": x,
                  "phase_train": phase_train, "feed": {extra: 1.0}, "run": run,
                  "train_writer": writer, "global_step": global_step, "avg_cost": 0.0}
            for i in range(3):
                ns["i"] = i
                handout.run(todo, 0, ns)
                need(ns, ["new_cost"], (float, np.floating), "a number (the cost sess.run gives)")
                run.step += 1
            yield Obs("steps", int(sess.run(global_step)), "global_step is {got} after 3 steps, "
                      "expected {want}: run train_op once per step")
            yield Obs("weights", fingerprint(sess.run(W)), "the weights after 3 steps differ from "
                      "the reference: feed x each minibatch of mnist.train.next_batch(batch_size), "
                      "phase_train True and **feed?", CLOSE)
            yield Obs("avg_cost", float(ns["avg_cost"]), "avg_cost is {got} after 3 steps, "
                      "expected {want}: add new_cost / total_batch at each step", CLOSE)
            yield Obs("summaries", writer.steps, "summaries were written at steps {got}, expected "
                      "{want}: one train_writer summary, at the global step, whenever "
                      "run.summary_due()")


def observe_corrupt_input(handout, todo):
    model = handout.module(todo, os.path.join("aelab", "model.py"))
    with tf.Graph().as_default():
        tf.set_random_seed(0)
        x = tf.placeholder(tf.float32, [None, 784])
        corrupted = model["corrupt_input"](x)
        images = np.full((200, 784), 0.7, np.float32)
        with tf.Session() as sess:
            first, again = sess.run(corrupted, {x: images}), sess.run(corrupted, {x: images})
    yield Obs("kept", float(np.mean(first != 0)), "a share of {got} of the pixels is kept, "
              "expected about {want}", (0, 0.02))
    yield Obs("values", sorted({round(float(v), 4) for v in np.unique(first)}), "the corrupted "
              "images hold the values {got}, expected {want}: each pixel times 0 or 1")
    yield Obs("fresh", not np.array_equal(first, again), "the same pixels are dropped at every "
              "run: draw the random numbers in the graph, with tf.random_uniform")


def observe_c_x(handout, todo):
    mask = (fixed((1, 784), 10) > 0.5).astype(np.float32)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 784])
        corrupt = tf.placeholder(tf.float32, [])
        ns = handout.run(todo, 0, {"tf": tf, "x": x, "corrupt": corrupt,
                                       "corrupt_input": lambda t: t * tf.constant(mask)})
        c_x = need(ns, ["c_x"], tf.Tensor, "a tensor")["c_x"]
        with tf.Session() as sess:
            for value, meaning in ((1.0, "corrupt_input(x)"), (0.0, "x itself")):
                got = sess.run(c_x, {x: fixed((4, 784), 9), corrupt: value})
                yield Obs(f"c_x, corrupt {value:g}", fingerprint(got), f"c_x with corrupt = "
                          f"{value:g} differs from the reference: it should be {meaning}", CLOSE)


OBSERVERS = {1: observe_basic_model, 2: observe_basic_training, 3: observe_basic_test,
             4: observe_layer, 5: observe_encoder_decoder, 6: observe_loss_and_training,
             7: observe_training_loop, 8: observe_corrupt_input, 9: observe_c_x,
             10: observe_loss_call}


def _plain(value):
    return json.loads(json.dumps(value))


def observations(todo, read):
    """What the todo's lines give, as plain values (make stores the kit's)."""
    return {obs.key: _plain(obs.value) for obs in OBSERVERS[todo.number](Handout(read), todo)}


def _differs(obs, want):
    """Why obs does not match the reference value `want`, or None."""
    got = _plain(obs.value)
    if obs.message == "variables":
        for name, wanted in want.items():
            if name not in got:
                return f"there is no variable {name} (shape {wanted})"
            if got[name] != wanted:
                return f"{name} has shape {got[name]}, expected {wanted}"
        extra = sorted(set(got) - set(want))
        return f"an extra variable {extra[0]}" if extra else None
    if obs.tolerance is None:
        same = got == want
    else:
        same = np.shape(got) == np.shape(want) and np.allclose(got, want, *obs.tolerance)
    return None if same else obs.message.format(got=_short(got), want=_short(want))


def _short(value):
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list) and value and isinstance(value[0], float):
        return "[" + ", ".join(f"{v:.3g}" for v in value) + "]"
    return str(value)


def _describe(error, handout_files):
    """One line for an exception raised by a student's lines."""
    if isinstance(error, SyntaxError):
        return f"{type(error).__name__} in {error.filename} line {error.lineno}: {error.msg}"
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename in handout_files]
    where = f" ({frames[-1].filename} line {frames[-1].lineno})" if frames else ""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text[:160]}{where}"


def check_todo(todo, handout, reference):
    """'ok', 'not filled in yet', or what is wrong, in one line."""
    try:
        if not handout.filled(todo):
            return "not filled in yet"
        for obs in OBSERVERS[todo.number](handout, todo):
            wrong = _differs(obs, reference[obs.key])
            if wrong:
                return wrong
        return "ok"
    except Problem as e:
        return str(e)
    except SystemExit as e:  # a stub of another TODO, or the student's own exit
        return f"stopped: {e}"
    except Exception as e:  # the student's lines raised: say why, and go on to the next TODO
        for name, got in getattr(e, "shapes", {}).items():
            want = reference.get(f"shape of {name}", reference.get("variables", {}).get(name))
            if want is not None and got != want:
                return f"{name} has shape {got}, expected {want}"
        return _describe(e, set(handout_files()))


def _width(text):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _cell(text, width):
    return text + " " * max(0, width - _width(text))


def check(folder):
    """Checks every TODO of the handout in folder; prints the table; returns the exit status."""
    path = os.path.join(folder, REFERENCE_FILE)
    if not os.path.isfile(path):
        raise LabError(f"{folder} has no {REFERENCE_FILE}: it is not a folder made by "
                       f"python -m aelab.workshop make")
    with open(path, encoding="utf-8") as f:
        reference = json.load(f)

    def read(name):
        full = os.path.join(folder, name)
        if not os.path.isfile(full):
            return None
        with open(full, encoding="utf-8") as f:
            return f.read()

    results = [(todo, check_todo(todo, Handout(read), reference[str(todo.number)]))
               for todo in TODOS]
    wheres = [", ".join(dict.fromkeys(r.file for r in todo.regions)) for todo, _ in results]
    title_width = max(_width(todo.title) for todo in TODOS)
    where_width = max(map(_width, wheres))
    print(f"TODO  {_cell('slide section', title_width)}  {_cell('file', where_width)}  result")
    for (todo, result), where in zip(results, wheres):
        print(f"{todo.number:>4}  {_cell(todo.title, title_width)}  {_cell(where, where_width)}  "
              f"{result}")
    done = sum(result == "ok" for _, result in results)
    print(f"{done} of {len(results)} TODOs ok")
    return 0 if done == len(results) else 1


# ---------------------------------------------------------------- the handout's README and the command

def handout_readme(with_data, solution):
    """The student folder's README: Korean first, English beside it."""
    rows = "\n".join(
        f"| {t.number} | {t.title} | "
        f"{', '.join(dict.fromkeys(f'`{r.file}` `{r.function}()`' for r in t.regions))} |"
        for t in TODOS)
    data = ("데이터는 `mnist/data/` 에 들어 있어 인터넷 없이 실행됩니다. / The data is in "
            "`mnist/data/`: no internet needed." if with_data else
            "처음 실행할 때 MNIST 를 `mnist/data/` 로 내려받습니다. / The first run downloads "
            "MNIST into `mnist/data/`.")
    state = ("이 폴더는 모범 답안입니다: 모든 TODO 가 채워져 있습니다. / This is the solution: "
             "every TODO is filled in.\n\n" if solution else "")
    return f"""# 오토인코더 실습 (KCC 2019) / Autoencoder lab

{state}## 1. 준비 / Set-up

```
pip install -r requirements.txt
jupyter notebook
```

TensorFlow, scikit-learn, numpy, matplotlib, pillow 와 Jupyter 를 설치하고, 이 폴더에서 Jupyter 를
엽니다 (다른 편집기도 괜찮습니다). / This installs TensorFlow, scikit-learn, NumPy, matplotlib,
pillow and Jupyter; `jupyter notebook` opens this folder in the browser (any editor works too).

{data}

## 2. TODO 채우기 / Fill in the TODOs

각 TODO 는 `# TODO n: ...` 줄과 `# TODO n 끝` 줄 사이에 있습니다. `raise SystemExit(...)` 줄을 지우고
그 자리에 코드를 쓰세요. 표시 줄과 힌트는 남겨 두세요. **저장은 필수!** / Each TODO sits between a
`# TODO n: ...` line and a `# TODO n 끝` line: delete its `raise SystemExit(...)` line and write
your code in its place; keep the marks and hints. **Save the file!**

| TODO | 슬라이드 / slide | 파일 / file |
|---|---|---|
{rows}

## 3. 확인 / Check

```
python -m aelab.workshop check
```

TODO 마다 `ok`, `not filled in yet`, 또는 무엇이 틀렸는지 한 줄로 알려 줍니다 (인터넷 필요 없음, 1분
안쪽). / Prints one line per TODO: `ok`, `not filled in yet`, or what is wrong (no internet, well
under a minute).

## 4. 실행 / Run (슬라이드 순서 / in the slides' order)

명령 프롬프트에서 (Windows 도 같습니다, 예: `C:\\practice>python basic_autoencoder.py`) / From a
command prompt (the same on Windows):

```
python basic_autoencoder.py
python autoencoder_mnist.py 2 --epochs 20
python ae_vs_pca.py mnist_autoencoder_hidden=2_logs
python denoising_autoencoder_mnist.py 2 --epochs 20
python dn_ae_test.py dn_mnist_autoencoder_hidden=2_logs
```

슬라이드는 1000 epoch 을 학습하지만, 실습에서는 `--epochs 20` 이면 충분합니다. Ctrl-C 로 멈추고 같은
명령으로 이어서 학습합니다. / The slides train 1000 epochs; `--epochs 20` is enough in class.
Ctrl-C stops a run; the same command resumes it. `--help` lists every option.
"""


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="The workshop handout: make the student folder, or check its TODOs.")
    commands = parser.add_subparsers(dest="command", required=True)
    make_parser = commands.add_parser("make", help="write the student folder")
    make_parser.add_argument("folder", metavar="DIR", help="a new (or empty) folder")
    source = make_parser.add_mutually_exclusive_group()
    source.add_argument("--data-dir", metavar="SRC",
                        help="copy the four IDX files from SRC into DIR/mnist/data/, so the "
                             "class runs offline (default: students download MNIST)")
    source.add_argument("--dataset", choices=sorted(input_data.SOURCES),
                        help="copy this dataset's files from where the kit keeps them "
                             "(downloading them first if needed)")
    make_parser.add_argument("--solution", action="store_true",
                             help="fill every TODO with the kit's own lines: the answers")
    check_parser = commands.add_parser("check", help="check a student folder's TODOs")
    check_parser.add_argument("folder", metavar="DIR", nargs="?", default=".",
                              help="the student folder (default: this one)")
    args = parser.parse_args(argv)
    if args.command == "check":
        return check(args.folder)
    make(args.folder, args.data_dir, args.dataset, args.solution)
    what = "solution" if args.solution else "handout"
    data = "with its data in mnist/data/" if args.data_dir or args.dataset else \
        "without data (MNIST is downloaded on first run)"
    print(f"Wrote the {what} to {args.folder}, {data}: {len(TODOS)} TODOs in "
          f"{len({r.file for t in TODOS for r in t.regions})} files. Next: "
          f"python -m aelab.workshop check {args.folder}")
    return 0


if __name__ == "__main__":
    from aelab import cli
    cli.run(main)
