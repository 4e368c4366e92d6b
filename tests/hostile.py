"""Hostile students for the grader's tests: lines that forge grades, reach out, hog and linger.

Each attack is a few lines a student puts at the top of one TODO's region,
on the solution (so that the row shows what it costs the other TODOs) or on
a handout whose TODOs are all `pass` (the forgers, next to their `pass` twin).
Every attack says what it got by raising an error with it, which the row
shows: "blocked: ..." when it was stopped, a capital word (LEAK, WROTE,
CONNECTED, ALLOCATED) when it was not. Processes it leaves carry MARKER in
their command line, for the test to look for afterwards.
"""

import itertools
import json
import os
import re
import socket
import textwrap
import threading

from aelab.workshop.source import files_of, marks, stub
from aelab.workshop.todos import TODOS

MARKER = "aelab-hostile"
ESCAPED = ("LEAK", "WROTE", "CONNECTED", "ALLOCATED")  # what an attack that got through says

# The checker's channel: the `out` of a frame up the call stack (checking_process.main's).
_FIND_CHANNEL = """
import sys as _sys
_frame = _sys._getframe()
while _frame is not None and "out" not in _frame.f_locals:
    _frame = _frame.f_back
_out = _frame.f_locals["out"]
"""


def put_in_todo(folder, number, code):
    """Puts lines at the top of TODO number's first region in folder (after its hints), indented
    as the region."""
    todo = TODOS[number - 1]
    for path in files_of(todo):
        lines = _read(folder, path).split("\n")
        found = marks("\n".join(lines), number)
        if found:
            start, inner = found[0]
            at = start - 1 + len(list(itertools.takewhile(lambda line: line.strip().startswith("#"),
                                                          inner)))
            indent = re.match(r" *", lines[start - 2]).group(0)
            lines[at:at] = textwrap.indent(textwrap.dedent(code).strip(), indent).split("\n")
            _write(folder, path, "\n".join(lines))
            return
    raise AssertionError(f"no TODO {number} in {folder}")


def fill_with_pass(folder):
    """Fills every TODO of a handout with `pass`: lines that run and compute nothing."""
    for todo in TODOS:
        for region in todo.regions:
            text = _read(folder, region.file)
            _write(folder, region.file, re.sub(rf"^( *){re.escape(stub(todo, region))}$", r"\1pass",
                                               text, flags=re.M))


def _read(folder, path):
    with open(os.path.join(folder, path), encoding="utf-8") as f:
        return f.read()


def _write(folder, path, text):
    with open(os.path.join(folder, path), "w", encoding="utf-8") as f:
        f.write(text)


def forge_empty():
    """Events that say every TODO (and a TODO 99) ran to its end, with no values."""
    return _FIND_CHANNEL + f"""
import json as _json
for _n in {[todo.number for todo in TODOS] + [99]}:
    _out.write(_json.dumps({{"todo": _n, "observations": [], "end": None}}) + "\\n")
_out.flush()
"""


def forge_values(stored):
    """The whole conversation the checker would have, each TODO's result holding the values a
    handout stores (`stored`, its aelab/workshop_reference.json), then an exit."""
    return _FIND_CHANNEL + f"""
import json as _json, os as _os
_stored = _json.loads({json.dumps(json.dumps(stored))})
for _n in {[todo.number for todo in TODOS]}:
    if _n > 1:
        _out.write(_json.dumps({{"start": _n}}) + "\\n")
    _seen = [[_key, _value[0]] for _key, _value in _stored[str(_n)].items()]
    _out.write(_json.dumps({{"todo": _n, "observations": _seen, "end": None}}) + "\\n")
_out.write(_json.dumps({{"start": None}}) + "\\n")
_out.flush()
_os._exit(0)
"""


def garbage():
    """Bytes that are no event, written to every descriptor the process may have."""
    return """
import os as _os
for _fd in range(64):
    try:
        _os.write(_fd, b"\\x00not an event \\xff\\n")
    except OSError:
        pass
"""


def kill_grader():
    return "import os as _os, signal as _signal\n_os.kill(_os.getppid(), _signal.SIGKILL)\n"


def read(pattern):
    """Reads the first file a glob pattern finds (or the pattern itself) and shows what it holds."""
    return f"""
import glob as _glob
_found = sorted(_glob.glob({pattern!r})) or [{pattern!r}]
try:
    with open(_found[0], "rb") as _f:
        _data = _f.read(120)
except Exception as _e:
    raise RuntimeError("blocked: " + type(_e).__name__)
raise RuntimeError("LEAK " + repr(_data))
"""


def write(path):
    """Appends a line to a file outside the student's copy."""
    return f"""
try:
    with open({path!r}, "a") as _f:
        _f.write("# written by a student\\n")
except Exception as _e:
    raise RuntimeError("blocked: " + type(_e).__name__)
raise RuntimeError("WROTE " + {path!r})
"""


def connect(port):
    """Sends a line to a server on 127.0.0.1."""
    return f"""
import socket as _socket
try:
    _socket.create_connection(("127.0.0.1", {port}), timeout=5).sendall(b"hello")
except Exception as _e:
    raise RuntimeError("blocked: " + type(_e).__name__)
raise RuntimeError("CONNECTED")
"""


def hog(mib=6000):
    return f"""
try:
    _hog = bytearray({mib} << 20)
except MemoryError:
    raise RuntimeError("blocked: MemoryError")
raise RuntimeError("ALLOCATED " + str(len(_hog) >> 20) + " MiB")
"""


def daemon(target):
    """A process detached twice over (its own session), that waits, then overwrites target."""
    return f"""
import os as _os, sys as _sys
_r, _w = _os.pipe()
if _os.fork() == 0:
    _os.setsid()
    if _os.fork() == 0:
        _os.write(_w, str(_os.getpid()).encode())
        _os.execv(_sys.executable, [_sys.executable, "-c", "import sys, time; time.sleep(60); "
                  "open(sys.argv[1], 'w').write('student,forged')", {target!r}, "{MARKER}-daemon"])
    _os._exit(0)
_os.close(_w)
_pid = int(_os.read(_r, 32))
_os.kill(_pid, 0)
raise RuntimeError("daemon " + str(_pid) + " started")
"""


def keyring(call):
    """A call to the kernel's keyrings, by its number: "keyctl" reads the id of the session
    keyring (the grader's, where it has one), "add_key" adds a key to it."""
    return f"""
import ctypes as _ctypes, os as _os, platform as _platform
_number = {{"x86_64": {{"keyctl": 250, "add_key": 248}},
           "aarch64": {{"keyctl": 219, "add_key": 217}}}}[_platform.machine()][{call!r}]
_args = {{"keyctl": (0, -3, 0), "add_key": (b"user", b"aelab-hostile", b"planted", 7, -3)}}[{call!r}]
_libc = _ctypes.CDLL(None, use_errno=True)
_got = _libc.syscall(_ctypes.c_long(_number), *_args)
if _got == -1:
    raise RuntimeError("blocked: " + _os.strerror(_ctypes.get_errno()))
raise RuntimeError("LEAK key " + str(_got))
"""


def memfd(mib=64):
    """Memory in a memfd, which no limit of the process counts."""
    return f"""
import os as _os
try:
    _fd = _os.memfd_create("aelab-hostile")
    _os.ftruncate(_fd, {mib} << 20)
except OSError as _e:
    raise RuntimeError("blocked: " + type(_e).__name__)
raise RuntimeError("ALLOCATED memfd of {mib} MiB")
"""


def fork_loop(count=200):
    """Starts `count` processes that sleep."""
    return f"""
import os as _os
_pids = []
try:
    for _i in range({count}):
        _pid = _os.fork()
        if _pid == 0:
            _os.execv("/bin/sleep", ["{MARKER}-fork", "600"])
        _pids.append(_pid)
except OSError as _e:
    raise RuntimeError("forked " + str(len(_pids)) + ", then " + type(_e).__name__)
raise RuntimeError("forked " + str(len(_pids)))
"""


def lingering(marks):
    """The command lines of the processes running now that hold any of `marks`."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                line = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if pid != str(os.getpid()) and any(mark in line for mark in marks):
            found.append(f"{pid}: {line[:200]}")
    return found


class Listener:
    """A TCP server on 127.0.0.1 that counts the connections it gets."""

    def __init__(self):
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port, self.connections = self.socket.getsockname()[1], 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.connections += 1
            connection.close()

    def close(self):
        self.socket.close()
