"""Running the lab's scripts in tests as a user runs them, and reading what they leave.

A script's behaviour is tested in the test's own process through its `main(argv)`
(`run_main`), as `python script.py ARGS` would run it from a folder, with no
display; in a new process (`run_process`, `run_scripts`) only where the process
boundary is what a test is about: signals, exit statuses, what reaches the terminal.
"""

import ast
import collections
import contextlib
import csv
import importlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

NUMBER = r"\d+\.\d+"

EXTRACTING = r"(?:Extracting \S+\n){4}"  # what reading the data prints first, as TensorFlow 1.x did

POSIX_ONLY = pytest.mark.skipif(os.name == "nt", reason="POSIX signals and terminals")

LINUX_ONLY = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def parse(path):
    """The syntax tree of a file of the kit (path relative to it)."""
    with open(os.path.join(REPO, path), encoding="utf-8") as f:
        return ast.parse(f.read())

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


def rows_of(output):
    """{TODO number: result} from the checker's table."""
    rows = {}
    for line in output.splitlines():
        match = re.match(r"^\s*(\d+)  .*?\S  +(\S.*)$", line)
        if match and not line.startswith("TODO"):
            rows[int(match.group(1))] = re.split(r"\s{2,}", line.strip())[-1]
    return rows


def check_in(folder, *args):
    """`python -m aelab.workshop check` as a student runs it, inside the folder: (status, rows, output)."""
    result = run_process(["-m", "aelab.workshop", "check", *map(str, args)], cwd=folder,
                         check=False)
    return result.returncode, rows_of(result.stdout), result.stdout + result.stderr


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
