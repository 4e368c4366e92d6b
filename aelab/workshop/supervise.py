"""Supervising the checking processes: starting them, reading their channel, time limits, restarts.

A checking process (checking_process.py) runs a student's lines, so nothing it says is
taken on trust. It starts from a private copy of the checker's modules
(checker_modules: checking_process.py and what it imports, never the lab's sources, the
handout maker or the reference), made for each run in a temporary folder, and
never from the kit's folder; in the sandbox where grading has one
(sandbox.py). Its channel is read under a strict protocol: for each TODO, in
the order it was given, {"start": N}, then exactly one well-formed result for
N. Anything else while TODO N's lines run (a line that does not parse, an
event for another TODO, a second result) is TODO N's `error` (CHANNEL): the
process is ended and another checks the TODOs left, so that it costs no other
TODO. A TODO that runs past its time limit, exits or crashes the process
costs only its own row too.
"""

import ast
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time

from aelab.workshop import sandbox
from aelab.workshop.checking_process import TEXT
from aelab.workshop.source import KIT, parse

START_TIMEOUT = 600.0  # seconds a checking process may take to start (TensorFlow) before its first TODO
START_CPU = 120.0      # CPU seconds it may take for that, on top of its TODOs' time limits
POLL = 0.2             # seconds between two looks for Ctrl-C while waiting
MAX_LINE = 1 << 20     # bytes of one event: far more than a TODO's values take
QUEUED = 64            # lines read ahead of the judge: a flood of lines costs no memory
CHANNEL = "its lines wrote to the checker's channel"
# Starts module.main(argv) of aelab/workshop from the folder given first, put first on sys.path
# in place of the current folder (the handout's, whose aelab/ is the student's).
_START = ("import sys; sys.path[0] = sys.argv[1]; from aelab.workshop import {0}; "
          "sys.exit({0}.main(sys.argv[2:]))")


def python_command(folder, module, args):
    """The command that runs aelab/workshop/<module>.py's main(args) from the kit (or copy) in folder."""
    return [sys.executable, "-E", "-B", "-c", _START.format(module), folder, *args]


def child_env():
    """The environment of a checking process outside a sandbox: no window opened."""
    return dict(os.environ, MPLBACKEND="Agg")


def checker_modules():
    """The kit's files a checking process imports, relative to the kit: checking_process.py and, through
    their imports, the modules of aelab it needs, and no others."""
    found, waiting = set(), ["aelab.workshop.checking_process"]
    while waiting:
        name = waiting.pop()
        path = _module_file(name)
        if path is None or path in found:
            continue
        found.add(path)
        parts = name.split(".")
        waiting += [".".join(parts[:i]) for i in range(1, len(parts))]  # its packages
        with open(os.path.join(KIT, path), encoding="utf-8") as f:
            tree = parse(f.read())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                waiting += [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                waiting += [a.name for a in node.names]
    return sorted(found)


def _module_file(name):
    """aelab.x.y's file relative to the kit (aelab/x/y.py or aelab/x/y/__init__.py), or None."""
    if name.split(".")[0] != "aelab":
        return None
    base = os.path.join(*name.split("."))
    for path in (base + ".py", os.path.join(base, "__init__.py")):
        if os.path.isfile(os.path.join(KIT, path)):
            return path
    return None


def copy_checker(into):
    """Copies the checker's modules into the folder `into` (a run's private folder); returns it."""
    for path in checker_modules():
        os.makedirs(os.path.join(into, os.path.dirname(path)), exist_ok=True)
        shutil.copyfile(os.path.join(KIT, path), os.path.join(into, path))
    return into


def probe(box):
    """Raises LabError, naming the fix, unless a sandbox starts here and confines its process."""
    confine = json.dumps(box.confinement(0, START_CPU))
    command, fds = box.command(python_command(box.CHECKER, "sandbox", [confine]))
    group = None
    try:
        group = box.group()
        done = subprocess.run(group.wrap(command) if group else command, stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=START_TIMEOUT, pass_fds=fds)
    except subprocess.TimeoutExpired:
        raise sandbox.unable(f"it did not start in {START_TIMEOUT:g} s") from None
    finally:
        for fd in fds:
            os.close(fd)
        if group:
            group.remove()
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines() or [
            f"exit status {done.returncode}"]
        raise sandbox.unable(said[-1][:200])


class Stopped(Exception):
    """The run is being stopped (Ctrl-C): no checking process starts any more."""


class Launcher:
    """Starts the checking processes of one run (a check, or a grading): from the private copy
    of the checker in `checker`, with the salt of the run's reference, in `sandbox` if given."""

    def __init__(self, checker, salt=None, sandbox=None):
        self.checker, self.salt, self.sandbox = checker, salt, sandbox
        self._running, self._stopped, self._lock = set(), False, threading.Lock()

    def start(self, folder, numbers, timeout, slot=0):
        """A _Child checking TODOs `numbers` of the handout in folder; Stopped once stop() was called."""
        args = ([f"--salt={self.salt}"] if self.salt is not None else []) + [str(n) for n in numbers]
        with self._lock:
            if self._stopped:
                raise Stopped
            group = None
            if self.sandbox is None:
                command, fds = python_command(self.checker, "checking_process", args), []
                where = {"cwd": folder, "env": child_env()}
            else:
                cpu = (START_CPU + timeout * len(numbers)) * (os.cpu_count() or 1)
                confine = json.dumps(self.sandbox.confinement(slot, cpu))
                inside = python_command(self.sandbox.CHECKER, "checking_process", ["--confine", confine, *args])
                command, fds = self.sandbox.command(inside, folder)
                where = {"pass_fds": fds}
            try:
                group = self.sandbox.group() if self.sandbox else None
                proc = subprocess.Popen(group.wrap(command) if group else command,
                                        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, **where)
            except BaseException:
                if group:
                    group.remove()
                raise
            finally:
                for fd in fds:
                    os.close(fd)
            self._running.add(proc)
        return _Child(proc, self._running, group)

    @property
    def stopped(self):
        """True once stop() was called: what the processes it ended gave is no grade."""
        return self._stopped

    def stop(self):
        """Ends every checking process running (and, in the sandbox, all they started); starts no more."""
        with self._lock:
            self._stopped = True
            for proc in list(self._running):
                if proc.poll() is None:
                    proc.kill()


class _Child:
    """A running checking process and its channel's lines, read by a thread so that waits can time
    out; in its memory cgroup (memcg.Group) where it has one. memory: once it stopped, the
    cgroup's limit in bytes if the kernel killed a process of it for passing that, else None."""

    TIMED_OUT = object()

    def __init__(self, proc, running, group=None):
        self.proc, self._running, self._closed = proc, running, False
        self.group, self.memory = group, None
        self.lines = queue.Queue(QUEUED)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        try:
            while not self._closed:
                line = self.proc.stdout.readline(MAX_LINE + 1)
                self.lines.put(line or None)
                if not line:
                    break
        finally:
            self.proc.stdout.close()

    def next(self, timeout):
        """The next line (bytes), None at the end, or TIMED_OUT after `timeout` seconds without one.

        It waits in short slices: a Ctrl-C that the system hands to another of
        this process's threads only interrupts the main one when it wakes.
        """
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                return self.lines.get(timeout=min(POLL, max(0.0, left)))
            except queue.Empty:
                if left <= 0:
                    return self.TIMED_OUT

    def stop(self):
        """Ends the process (and all in its cgroup), if it still runs; its exit status."""
        if self.proc.poll() is None:
            self.proc.kill()
        status = self.proc.wait()
        if self.group:
            self.memory = self.group.limit if self.group.out_of_memory() else None
            self.group.remove()
            self.group = None
        self._closed = True
        while True:  # let the reader, blocked on a full queue, see that it is closed
            try:
                self.lines.get_nowait()
            except queue.Empty:
                break
        self._running.discard(self.proc)
        return status


def _event(line):
    """The JSON object on one line of the channel, or None."""
    if len(line) > MAX_LINE or not line.endswith(b"\n"):
        return None
    try:
        event = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return event if isinstance(event, dict) else None


def _is(value, number):
    """True if a value from the channel is TODO number exactly (None: no TODO)."""
    return value is None if number is None else type(value) is int and value == number


def is_start(line, number):
    """True if the line is {"start": number} (number None: the process has no TODO left)."""
    event = _event(line)
    return event is not None and set(event) == {"start"} and _is(event["start"], number)


def result_of(line, number):
    """TODO number's result on a line, {"observations": {key: value}, "end": None or {...}}, with
    every field checked; None for anything else."""
    event = _event(line)
    if event is None or set(event) != {"todo", "observations", "end"} or not _is(event["todo"], number):
        return None
    pairs, end = event["observations"], event["end"]
    if not isinstance(pairs, list) or not all(
            isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str) for pair in pairs):
        return None
    observed = dict(pairs)
    if len(observed) != len(pairs) or not (end is None or _is_end(end)):
        return None
    return {"observations": observed, "end": end}


def _is_end(end):
    """True for an end a checking process may report: a problem, a stop or an error, with its text."""
    if not isinstance(end, dict) or not isinstance(end.get("text"), str) or len(end["text"]) > TEXT:
        return False
    if end.get("kind") in ("problem", "stopped"):
        return set(end) == {"kind", "text"}
    shapes = end.get("shapes")
    return (end.get("kind") == "error" and set(end) == {"kind", "text", "shapes"}
            and isinstance(shapes, dict) and all(isinstance(s, list) for s in shapes.values()))


def _ended(kind, status=None, seconds=None, **more):
    """A result the supervisor gives a TODO whose checking process did not give one."""
    return {"observations": {}, "end": {"kind": kind, "status": status, "seconds": seconds, **more}}


def check_todos(launcher, folder, numbers, timeout, on_result, slot=0, bound=None):
    """Runs the observers of TODOs `numbers` of the handout in folder; on_result(n, result) for each.

    result: what the checking process gave for TODO n (result_of), or an end
    found here: "timeout" (its lines ran past `timeout` seconds), "exited"
    (they ended the process), "channel" (they wrote to the checker's channel),
    "no start" (the process never started a TODO), "memory" (they ended it by
    passing the check's memory limit, in bytes as "limit"). After any of these another
    process checks the TODOs left. bound: the seconds the student's lines may run
    in all, over every process (None: no bound): from a TODO's start to the
    next line, whatever they do; the checker's own starts, before any of their
    lines run, do not count (a process settles at least one TODO, or hands it
    to the next one first, so there are at most two per TODO). The TODOs left
    when it is spent end "bound".
    """
    pending, left = list(numbers), [bound if bound is not None else float("inf")]
    while pending and left[0] > 0:
        child = launcher.start(folder, list(pending), timeout, slot)
        try:
            _follow(child, list(pending), pending, timeout, on_result, left)
        finally:
            child.stop()
    for number in pending:
        on_result(number, _ended("bound", seconds=bound))


def _follow(child, order, pending, timeout, on_result, left):
    """Reads the channel of one checking process, given TODOs `order`, until it is done with.

    A result is taken once the line after it is the next start (the checker
    writes it at once): any other line means lines still running wrote to the
    channel, after the result or as it. That TODO's result is then dropped, and
    it is `error` (CHANNEL) if no other TODO's lines ran in this process before
    it; otherwise it goes first to a fresh process, to tell its lines from those
    left running by the TODOs before it. Settled TODOs leave `pending`. left:
    [the seconds the student's lines may still run], spent by every wait once
    a TODO started; where it is spent, the TODOs left stay in `pending`.
    """
    ran, current, taken = 0, None, None  # taken: (TODO, result) until the next line confirms it

    def settle(number, result):
        on_result(number, result)
        pending.remove(number)

    while True:
        began = time.monotonic()
        line = child.next(min(timeout, left[0]) if ran else START_TIMEOUT)
        if ran:
            left[0] -= time.monotonic() - began
        if line is _Child.TIMED_OUT or line is None:
            status = child.stop()
            if taken:
                settle(*taken)
            if line is _Child.TIMED_OUT and ran and left[0] <= 0:
                return  # the student's lines spent their bound: check_todos ends the TODOs left
            if not ran:  # the checker itself did not start: nothing to retry
                for number in list(pending):
                    settle(number, _ended("no start", status))
            elif current is not None and (line is _Child.TIMED_OUT or child.memory is None):
                settle(current, _ended("timeout" if line is _Child.TIMED_OUT else "exited",
                                       status, timeout))
            elif current is not None:  # its cgroup's out-of-memory killer ended it
                settle(current, _ended("memory", status, limit=child.memory))
            return  # (ended between two TODOs: another process takes the rest)
        if current is not None:
            taken, current = (current, result_of(line, current)), None
            if taken[1] is not None:
                continue
        elif is_start(line, order[ran] if ran < len(order) else None):
            if taken:
                settle(*taken)
                taken = None
            if ran == len(order):
                return
            current, ran = order[ran], ran + 1
            continue
        elif not ran:  # before any student's line ran: the checker itself is broken
            status = child.stop()
            for number in list(pending):
                settle(number, _ended("no start", status))
            return
        number = taken[0]  # its lines wrote to the channel: as its result, or after it
        if ran == 1:
            settle(number, _ended("channel"))
        else:
            pending.remove(number)
            pending.insert(0, number)
        return
