"""Shared test helpers: small IDX datasets written on the fly, the real one, and running scripts.

A script's behaviour is tested in this process through its `main(argv)`
(`run_main`), as `python script.py ARGS` would run it from a folder, with no
display; a subprocess (`run_process`) only where the process boundary is what
a test is about: signals, exit statuses, what reaches the terminal.
"""

import collections
import contextlib
import csv
import gzip
import importlib
import io
import json
import os
import shutil
import signal
import struct
import subprocess
import sys

for name in ("DISPLAY", "WAYLAND_DISPLAY"):  # the scripts run here as on a machine with no screen
    os.environ.pop(name, None)
os.environ["MPLBACKEND"] = "Agg"

import filelock  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FASHION_DIR = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
NUMBER = r"\d+\.\d+"
EXTRACTING = r"(?:Extracting \S+\n){4}"  # what reading the data prints first, as TensorFlow 1.x did
POSIX_ONLY = pytest.mark.skipif(os.name == "nt", reason="POSIX signals and terminals")
LINUX_ONLY = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
# Interrupting a child as a user does: Ctrl-C where signals are POSIX's, to a child that takes
# it as a program started from a terminal does (a suite run in the background, under nohup
# or by a CI runner, would hand down Ctrl-C ignored); on Windows, Ctrl-Break to a child in a
# process group of its own (a Ctrl-C event would reach this process too).
if os.name == "nt":
    INTERRUPT = dict(popen={"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP},
                     signal=signal.CTRL_BREAK_EVENT, status=128 + signal.SIGBREAK, name="Ctrl-Break")
else:
    INTERRUPT = dict(popen={"preexec_fn": lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)},
                     signal=signal.SIGINT, status=130, name="Ctrl-C")

Result = collections.namedtuple("Result", "returncode stdout stderr")


# ---------------------------------------------------------------- running scripts

def script_env(**more):
    """The environment of a script run as a user runs it: no display; UTF-8 on its pipes (as
    this process reads them) unless `more` says otherwise."""
    env = dict(os.environ, PYTHONUTF8="1", **more)
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "MPLBACKEND"):
        env.pop(name, None)
    return env


def run_process(script, *args, cwd, check=True, env=None, encoding="utf-8", **popen):
    """Runs REPO/script (or `-m module`, `-c code`) in a new Python process, as a user would.

    encoding: of its output (None: bytes).
    """
    command = list(script) if isinstance(script, (list, tuple)) else [os.path.join(REPO, script)]
    result = subprocess.run([sys.executable, *command, *map(str, args)], cwd=cwd,
                            env=env or script_env(), capture_output=True, encoding=encoding,
                            errors="replace" if encoding else None, stdin=subprocess.DEVNULL,
                            **popen)
    if check and result.returncode != 0:
        raise AssertionError(f"{script} exited {result.returncode}\n{result.stderr[-3000:]}")
    return Result(result.returncode, result.stdout, result.stderr)


def exit_status(error):
    """What Python makes of a SystemExit at the top of a script: (status, what it prints)."""
    if error.code is None or isinstance(error.code, int):
        return error.code or 0, ""
    return 1, f"{error.code}\n"


def run_main(script, *args, cwd, check=True, stderr=None):
    """Runs script's main(ARGS) in this process from folder cwd, as `python script ARGS` would.

    script: a file in REPO ("autoencoder_mnist.py") or a module ("aelab.workshop");
    stderr: a stream for standard error instead of capturing it (a terminal, say).
    Its own default graph, stdout and stderr captured; the exit status and what
    Python would print for a SystemExit (a LabError's one line) as from a shell.
    """
    import tensorflow.compat.v1 as tf
    module = importlib.import_module(script[:-3] if script.endswith(".py") else script)
    out, err = io.StringIO(), stderr or io.StringIO()
    argv = [str(a) for a in args]
    saved_argv, saved_cwd = sys.argv, os.getcwd()
    sys.argv = [script, *argv]
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
                tf.Graph().as_default():
            try:
                status = module.main(argv) or 0
            except SystemExit as e:
                status, said = exit_status(e)
                err.write(said)
    finally:
        sys.argv = saved_argv
        os.chdir(saved_cwd)
    result = Result(status, out.getvalue(), "" if stderr else err.getvalue())
    if check and status != 0:
        raise AssertionError(f"{script} exited {status}\n{result.stderr[-3000:]}")
    return result


def signal_at_step(monkeypatch, signum, step):
    """Sends this process signum as training step number `step` ends: a real signal, at a known step."""
    from aelab import steps
    real = steps.Steps.step_done

    def step_done(self, new_cost):
        if self.step + 1 == step:
            os.kill(os.getpid(), signum)
        real(self, new_cost)
    monkeypatch.setattr(steps.Steps, "step_done", step_done)


# Runs scripts of a folder one after the other in one Python process, each as __main__.
_RUN_SCRIPTS = """
import contextlib, io, json, os, runpy, sys
results = []
for argv in json.loads(sys.argv[1]):
    out, err = io.StringIO(), io.StringIO()
    sys.argv = argv
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            runpy.run_path(argv[0], run_name="__main__")
            status = 0
        except SystemExit as e:
            status = e.code if e.code is None or isinstance(e.code, int) else 1
            if not (e.code is None or isinstance(e.code, int)):
                print(e.code, file=sys.stderr)
    results.append([status or 0, out.getvalue(), err.getvalue()])
print(json.dumps(results))
"""


def run_scripts(folder, *commands):
    """Runs each command ([script, arg, ...]) of folder in one new Python process, from folder.

    The folder's own modules are the ones imported (a workshop handout's, say),
    and TensorFlow starts once for all of them. Returns a Result per command.
    """
    commands = [[str(part) for part in command] for command in commands]
    done = run_process(["-c", _RUN_SCRIPTS, json.dumps(commands)], cwd=folder)
    return [Result(*result) for result in json.loads(done.stdout.splitlines()[-1])]


def as_seen(text):
    """Text written to a Jupyter cell as its page shows it: a carriage return starts the line
    again (the progress line redrawn, then rubbed out)."""
    return "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n"))


def last_line(result):
    return result.stderr.strip().splitlines()[-1]


def read_record(logdir):
    with open(os.path.join(logdir, "record.csv"), newline="") as f:
        return list(csv.DictReader(f))


def epochs_kept(logdir):
    from aelab import checkpoints
    return [checkpoints.parse(p)[0] for p in checkpoints.list_checkpoints(str(logdir))]


def quick(data):
    """Options for a short run on the small dataset: 5,000 training images, 500 validation."""
    return ["--data-dir", data, "--validation-size", 500, "--steps-per-epoch", 5, "--seed", 1]


# ---------------------------------------------------------------- data

def idx_bytes(array, magic):
    """The IDX encoding of a uint8 array: big-endian magic, dimensions, data."""
    header = struct.pack(">I", magic) + b"".join(struct.pack(">I", n) for n in array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def gz(data):
    """gzip bytes that are the same on every run (no time in the header)."""
    return gzip.compress(data, mtime=0)


def write_idx_files(folder, splits, compress=True):
    """Writes the four MNIST files: splits maps "train" and "t10k" to (images (N, 28, 28), labels)."""
    os.makedirs(folder, exist_ok=True)
    for prefix, (images, labels) in splits.items():
        for kind, array, magic in (("images-idx3", images, 2051), ("labels-idx1", labels, 2049)):
            name = f"{prefix}-{kind}-ubyte"
            data = idx_bytes(array, magic)
            with open(os.path.join(folder, name + (".gz" if compress else "")), "wb") as f:
                f.write(gz(data) if compress else data)


def write_idx_dataset(folder, n_train=5500, n_test=500, seed=0, compress=True):
    """Writes the four MNIST files (random digits-like blobs) into folder.

    Each image is a bright square at a place fixed by its label plus noise, so
    a model has something to learn. Returns (train_labels, test_labels).
    """
    rng = np.random.RandomState(seed)
    splits = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        y = rng.randint(0, 10, size=n).astype(np.uint8)
        images = rng.randint(0, 60, size=(n, 28, 28)).astype(np.uint8)
        for i, label in enumerate(y):
            r, c = 2 + 2 * label, 4 + label
            images[i, r:r + 8, c:c + 8] = 255
        splits[prefix] = (images, y)
    write_idx_files(folder, splits, compress)
    return splits["train"][1], splits["t10k"][1]


def write_low_rank_dataset(folder, rank=2, n_train=3000, n_test=500, seed=0):
    """Images that vary strongly along `rank` fixed directions, plus weak noise in every pixel.

    Their first `rank` principal components span those directions, so a linear
    autoencoder with a code of `rank` should find them. Returns the directions (rank, 784).
    """
    rng = np.random.RandomState(seed)
    directions = np.linalg.qr(rng.standard_normal((784, rank)))[0].T
    splits = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        weights = rng.standard_normal((n, rank)) * np.linspace(30, 20, rank) * 28
        noise = rng.normal(0, 12, (n, 784))
        images = np.clip(np.rint(128 + weights @ directions + noise), 0, 255).astype(np.uint8)
        splits[prefix] = (images.reshape(n, 28, 28), rng.randint(0, 10, n).astype(np.uint8))
    write_idx_files(folder, splits)
    return directions


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory):
    """The small dataset, written once per session: 5,500 training images (500 after validation), 500 test."""
    def make(folder):
        write_idx_dataset(str(folder))
    folder, _ = once_per_session(tmp_path_factory, "small_data", make)
    return folder


@pytest.fixture
def small_data(small_dataset, tmp_path):
    """A copy of the small dataset in the test's own folder, free to damage: its path."""
    folder = tmp_path / "data"
    shutil.copytree(small_dataset, folder)
    return str(folder)


@pytest.fixture
def fashion_dir():
    """The Debian package's Fashion-MNIST folder; CI must have it, elsewhere it is skipped."""
    if not os.path.isfile(os.path.join(FASHION_DIR, "train-images-idx3-ubyte.gz")):
        if os.environ.get("CI"):
            pytest.fail(f"Fashion-MNIST is missing from {FASHION_DIR}; .ci/run must install "
                        "the Debian package dataset-fashion-mnist")
        pytest.skip(f"no Fashion-MNIST in {FASHION_DIR} (apt-get install dataset-fashion-mnist)")
    return FASHION_DIR


# ---------------------------------------------------------------- made once per test session

def once_per_session(tmp_path_factory, name, make):
    """The folder `make(folder)` fills, made once for the whole session, whichever worker asks first.

    pytest-xdist's workers share the parent of their temporary folders; a file
    lock there lets the first one make it and the others wait and reuse it.
    Returns (folder, what make returned, stored as JSON).
    """
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the session's folder, above each worker's own
    folder, done = shared / name, shared / f"{name}.json"
    with filelock.FileLock(str(shared / f"{name}.lock")):
        if not done.is_file():
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir()
            done.write_text(json.dumps(make(folder)))
    return folder, json.loads(done.read_text())


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    """A deep autoencoder trained 3 short epochs and a denoising one trained 1, on small data.

    Shared by every test that only reads them; a test that changes one copies it first.
    """
    def make(base):
        data = str(base / "data")
        write_idx_dataset(data)  # its own, so that the runs' recorded data folder stays theirs
        options = ["--data-dir", data, "--validation-size", 500, "--steps-per-epoch", 5,
                   "--seed", 1, "--no-show"]
        deep = run_main("autoencoder_mnist.py", 2, "--epochs", 3, *options, cwd=base)
        noisy = run_main("denoising_autoencoder_mnist.py", 2, "--epochs", 1, *options, cwd=base)
        return {"deep": deep._asdict(), "denoising": noisy._asdict()}
    base, outputs = once_per_session(tmp_path_factory, "trained", make)
    return TrainedRuns(base, outputs)


class TrainedRuns:
    """The session's trained runs: their folder, data and what their training printed."""

    DEEP = "mnist_autoencoder_hidden=2_logs"
    DENOISING = "dn_mnist_autoencoder_hidden=2_logs"

    def __init__(self, base, outputs):
        self.base, self.data = base, str(base / "data")
        self.outputs = {name: Result(**result) for name, result in outputs.items()}

    def deep(self, name=""):
        return os.path.join(self.base, self.DEEP, name)

    def denoising(self, name=""):
        return os.path.join(self.base, self.DENOISING, name)

    def copy(self, which, into):
        """A copy of one run folder (DEEP or DENOISING) in `into`, to change; returns its path."""
        target = os.path.join(into, which)
        shutil.copytree(os.path.join(self.base, which), target)
        return target

    def link(self, which, into):
        """One run folder again in `into`, its files hard links (no copying): to add files to,
        never to change one; returns its path."""
        target = os.path.join(into, which)
        shutil.copytree(os.path.join(self.base, which), target, copy_function=os.link)
        return target


@pytest.fixture(scope="session")
def handouts(tmp_path_factory, small_dataset):
    """A workshop handout and its solution (`make`, `make --solution`), with the small dataset.

    Made once per session; a test that changes one copies it first.
    """
    def make(base):
        for name, more in (("handout", []), ("solution", ["--solution"])):
            run_main("aelab.workshop.__main__", "make", base / name, "--data-dir", small_dataset, *more,
                     cwd=REPO)
    base, _ = once_per_session(tmp_path_factory, "handouts", make)
    return base / "handout", base / "solution"


@pytest.fixture
def handout(handouts):
    return handouts[0]


@pytest.fixture
def solution(handouts):
    return handouts[1]


def student_copy(folder, into):
    """A student's copy of a handout, without its data and runs: the folder's path."""
    shutil.copytree(folder, into, ignore=shutil.ignore_patterns("mnist", "*_logs", "*.png"))
    return into


def edit(folder, path, old, new, encoding="utf-8"):
    """Replaces the one `old` in folder/path with `new` (a student's edit); returns the new text."""
    full = os.path.join(folder, path)
    with open(full, encoding="utf-8") as f:
        text = f.read()
    assert text.count(old) == 1, (path, old)
    text = text.replace(old, new)
    with open(full, "w", encoding=encoding, newline="") as f:
        f.write(text)
    return text


# ---------------------------------------------------------------- a Jupyter kernel

class Shown(collections.namedtuple("Shown", "stdout stderr shown errors")):
    """What a cell showed: its printed text, the mimetypes it displayed, its errors."""


class Kernel:
    """A real Jupyter kernel (ipykernel) started in a folder, with the kit importable."""

    def __init__(self, cwd):
        from jupyter_client.manager import start_new_kernel
        env = script_env(PYTHONPATH=REPO)
        env.pop("PYTHONUTF8")  # as a notebook server starts it
        self.manager, self.client = start_new_kernel(kernel_name="python3", cwd=str(cwd), env=env)

    def execute(self, code, interrupt_after=None):
        """Runs a cell and returns what it showed; interrupts the kernel (as its stop button
        does) once its standard output holds `interrupt_after`."""
        msg_id = self.client.execute(code)
        out, err, shown, errors = [], [], set(), []
        while True:
            msg = self.client.get_iopub_msg(timeout=600)  # against a hang only
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "status" and content["execution_state"] == "idle":
                return Shown("".join(out), "".join(err), shown, errors)
            if kind == "stream":
                (out if content["name"] == "stdout" else err).append(content["text"])
                if interrupt_after and interrupt_after in "".join(out):
                    self.manager.interrupt_kernel()
                    interrupt_after = None
            elif kind in ("display_data", "execute_result"):
                shown |= set(content["data"])
            elif kind == "error":
                errors.append(f"{content['ename']}: {content['evalue']}")

    def close(self):
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


@pytest.fixture
def kernel_in():
    """kernel_in(folder): a Kernel started there, shut down after the test."""
    started = []

    def start(folder):
        started.append(Kernel(folder))
        return started[-1]
    yield start
    for kernel in started:
        kernel.close()
