"""One run per folder: an operating-system lock on the folder, and a note of who holds it.

A training run locks `run.lock` in its folder (filelock: `flock` on Linux and
macOS, `LockFileEx` on Windows) and writes who it is (process id, machine,
start time) into `run.holder` beside it. A second run into the same folder
stops with one line naming the first. The operating system releases the lock
when the process ends, however it ends, so no lock outlives its run; a
`run.holder` left by a run that was killed only makes the next run say so.
"""

import json
import os
import socket
import sys
import time

import filelock

from aelab import LabError, paths

LOCK_FILE = "run.lock"
HOLDER_FILE = "run.holder"


class FolderLock:
    """The lock of one run folder; `acquire` takes it (or says who holds it), `release` gives it back."""

    def __init__(self, folder):
        self.folder = folder
        self.path = os.path.join(folder, LOCK_FILE)
        self.holder_path = os.path.join(folder, HOLDER_FILE)
        self._lock = filelock.FileLock(self.path, timeout=0)

    @property
    def held(self):
        return self._lock.is_locked

    def holder(self):
        """What run.holder says (pid, host, started), or None when it is missing or unreadable."""
        try:
            with open(self.holder_path, encoding="utf-8") as f:
                holder = json.load(f)
        except (OSError, ValueError):
            return None
        return holder if isinstance(holder, dict) and isinstance(holder.get("pid"), int) else None

    def acquire(self):
        try:
            self._lock.acquire()
        except filelock.Timeout:
            holder = self.holder()
            if holder is None:
                raise LabError(f"another run is starting in {self.folder}; wait for it to end, "
                               f"or choose another --logdir") from None
            where = "" if holder.get("host") == socket.gethostname() else f" on {holder.get('host')}"
            raise LabError(f"{self.folder} is in use by another run (process {holder['pid']}"
                           f"{where}, started {holder.get('started')}); wait for it to end or "
                           f"stop it, or choose another --logdir") from None
        try:
            left = self.holder()
            if left is not None:
                print(f"Taking over {self.folder} from a run that ended without finishing "
                      f"(process {left['pid']}, started {left.get('started')})", file=sys.stderr)
            me = {"pid": os.getpid(), "host": socket.gethostname(),
                  "started": time.strftime("%Y-%m-%d %H:%M:%S")}
            paths.write_whole(self.holder_path, json.dumps(me))
        except BaseException:
            self._lock.release()
            raise

    def release(self):
        if not self.held:
            return
        try:
            os.remove(self.holder_path)
        except OSError:
            pass  # the folder went away, or was moved: nothing to give back but the lock
        self._lock.release()
