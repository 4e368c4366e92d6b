"""One run per folder: a lock file that names the run holding it, on Linux, macOS and Windows.

A training run creates `run.lock` in its folder (atomically: it fails if the
file is there) with its process id, machine and start time, and removes it
when it ends. A second run into the same folder stops with one line naming
the first. A lock left by a run that was killed (its process is gone, on this
machine) is taken over, with a note.
"""

import json
import os
import socket
import sys
import time

from aelab import LabError

LOCK_FILE = "run.lock"


def process_alive(pid):
    """True if a process with this id runs on this machine."""
    if os.name == "nt":
        import ctypes
        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        kernel32.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)  # signal 0: asks whether the process exists, sends nothing
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, and belongs to someone else
        return True
    return True


def _age(path):
    """Seconds since path was last written (0 if it has just gone)."""
    try:
        return time.time() - os.path.getmtime(path)
    except OSError:
        return 0


class FolderLock:
    """The lock of one run folder; `acquire` takes it (or says who holds it), `release` gives it back."""

    def __init__(self, folder):
        self.folder = folder
        self.path = os.path.join(folder, LOCK_FILE)
        self.held = False

    def _holder(self):
        """What the lock file says, or None when it cannot be read (being written, or damaged)."""
        try:
            with open(self.path) as f:
                holder = json.load(f)
            return holder if isinstance(holder, dict) and isinstance(holder.get("pid"), int) else None
        except (OSError, ValueError):
            return None

    def acquire(self):
        me = {"pid": os.getpid(), "host": socket.gethostname(),
              "started": time.strftime("%Y-%m-%d %H:%M:%S")}
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                holder = self._holder()
                if holder is None and _age(self.path) < 10:  # just made, not yet written
                    raise LabError(f"another run is starting in {self.folder}; wait for it to "
                                   f"end, or choose another --logdir") from None
                if holder and (holder.get("host") != me["host"] or process_alive(holder["pid"])):
                    where = "" if holder.get("host") == me["host"] else f" on {holder.get('host')}"
                    raise LabError(
                        f"{self.folder} is in use by another run (process {holder['pid']}{where}, "
                        f"started {holder.get('started')}); wait for it to end or stop it, or "
                        f"choose another --logdir (if no such run is alive, delete {self.path})"
                    ) from None
                what = (f"process {holder['pid']}, started {holder.get('started')}" if holder
                        else "unreadable")
                print(f"Taking over {self.folder} from a run that ended without finishing "
                      f"({what})", file=sys.stderr)
                os.remove(self.path)
                continue
            with os.fdopen(fd, "w") as f:
                json.dump(me, f)
            self.held = True
            return
        raise LabError(f"could not take the lock {self.path}; is another run starting there?")

    def release(self):
        if self.held:
            self.held = False
            try:
                os.remove(self.path)
            except OSError:
                pass  # the folder went away, or was moved: nothing to give back
