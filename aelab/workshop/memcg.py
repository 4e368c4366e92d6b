"""A memory cgroup for each checking process, where the machine lets the grader make one.

Every process a check starts (the checking process, what its lines fork,
what they write to the sandbox's /tmp and /dev/shm) is counted against one
limit, the check's, not only each process against its own: the grader makes
a child of its own cgroup (/proc/self/cgroup) for each checking process,
sets its limit (swap included), starts the process in it through a shell
that writes its own pid into the group before it execs bubblewrap (nothing
of the check runs before it is in), and, when the check ends, kills
whatever is left in the group and removes it. The kernel's out-of-memory
killer acts inside the group when the check's processes together pass the
limit, and the group counts its kills: the row says the limit was hit.

cgroup v1 (/sys/fs/cgroup/memory/<path>/: memory.limit_in_bytes,
memory.memsw.limit_in_bytes where swap is counted, oom_kill in
memory.oom_control) and v2 (/sys/fs/cgroup/<path>/: memory.max,
memory.swap.max, oom_kill in memory.events; the memory controller enabled in
the parent's cgroup.subtree_control). Making a group needs the right to
write there: root, or a v2 group delegated to the grader's user. Where
there is none, `unavailable` says why, grade says so in a note, and each
process keeps its own limit only.
"""

import itertools
import os
import signal
import time

ROOT = "/sys/fs/cgroup"
PREFIX = "aelab-check-"
REMOVE_WAIT = 30.0  # seconds to wait for a killed check's processes to leave the group
# Starts the command that follows in the group whose cgroup.procs is $0: the shell moves itself
# in, then execs the command, which so starts (and stays, with all it starts) in the group.
_ENTER = 'echo $$ > "$0" && exec "$@"'
_count = itertools.count()


def _read(path):
    with open(path) as f:
        return f.read()


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)


def _counted(path, key):
    """The number after `key` on a line of a file like memory.events (0 where it is not there)."""
    try:
        lines = _read(path).splitlines()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in lines if line.split()[:1] == [key]), 0)


def own():
    """(version 1 or 2, the folder of this process's memory cgroup), or (None, why not)."""
    try:
        entries = [line.split(":", 2) for line in _read("/proc/self/cgroup").splitlines()]
    except OSError:
        return None, "this system has no cgroups"
    for number, controllers, path in entries:
        if "memory" in controllers.split(","):
            return 1, os.path.join(ROOT, "memory", path.lstrip("/"))
    for number, controllers, path in entries:
        if number == "0" and not controllers:
            folder = os.path.join(ROOT, path.lstrip("/"))
            try:
                if "memory" in _read(os.path.join(ROOT, "cgroup.controllers")).split():
                    return 2, folder
            except OSError:
                pass
    return None, "the memory controller is not mounted"


class Groups:
    """Makes the memory cgroups of one grading's checks, each under its own limit in bytes."""

    def __init__(self, version, folder, limit):
        self.version, self.folder, self.limit = version, folder, limit

    def make(self):
        """A new Group (made, its limit set), empty."""
        path = os.path.join(self.folder, f"{PREFIX}{os.getpid()}-{next(_count)}")
        os.mkdir(path, 0o700)
        try:
            if self.version == 1:
                _write(os.path.join(path, "memory.limit_in_bytes"), str(self.limit))
                if os.path.exists(os.path.join(path, "memory.memsw.limit_in_bytes")):
                    _write(os.path.join(path, "memory.memsw.limit_in_bytes"), str(self.limit))
            else:
                _write(os.path.join(path, "memory.max"), str(self.limit))
                if os.path.exists(os.path.join(path, "memory.swap.max")):
                    _write(os.path.join(path, "memory.swap.max"), "0")
        except OSError:
            os.rmdir(path)
            raise
        return Group(self.version, path, self.limit)

    def remove_stale(self):
        """Removes the groups of gradings that were killed before they could (empty ones)."""
        for name in os.listdir(self.folder):
            pid = name[len(PREFIX):].split("-")[0]
            if name.startswith(PREFIX) and pid.isdigit() and not _alive(int(pid)):
                try:
                    os.rmdir(os.path.join(self.folder, name))
                except OSError:
                    pass


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def available(limit):
    """(Groups making checks' cgroups of `limit` bytes, None) where this machine lets the grader
    make them (one is made and removed to see), else (None, why not)."""
    version, folder = own()
    if version is None:
        return None, folder
    try:
        if version == 2 and "memory" not in _read(
                os.path.join(folder, "cgroup.subtree_control")).split():
            _write(os.path.join(folder, "cgroup.subtree_control"), "+memory")
        groups = Groups(version, folder, limit)
        groups.remove_stale()
        groups.make().remove()
    except OSError as e:
        return None, f"no memory cgroup can be made under {folder} ({e.strerror or e})"
    return groups, None


class Group:
    """One check's memory cgroup."""

    def __init__(self, version, path, limit):
        self.version, self.path, self.limit = version, path, limit

    def wrap(self, command):
        """The command, started inside this group."""
        return ["/bin/sh", "-c", _ENTER, os.path.join(self.path, "cgroup.procs"), *command]

    def out_of_memory(self):
        """True once the kernel killed a process of this group for passing its limit."""
        events = "memory.oom_control" if self.version == 1 else "memory.events"
        return _counted(os.path.join(self.path, events), "oom_kill") > 0

    def remove(self):
        """Kills whatever is left in the group, and removes it."""
        deadline = time.monotonic() + REMOVE_WAIT
        while True:
            self._kill_all()
            try:
                os.rmdir(self.path)
                return
            except FileNotFoundError:
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def _kill_all(self):
        """SIGKILL to each process in the group, through a pidfd (no pid reused by another)."""
        procs = os.path.join(self.path, "cgroup.procs")
        try:
            pids = _read(procs).split()
        except FileNotFoundError:
            return
        for pid in pids:
            try:
                pidfd = os.pidfd_open(int(pid))
            except OSError:  # gone already
                continue
            try:
                if pid in _read(procs).split():  # still this group's, now that it is held
                    signal.pidfd_send_signal(pidfd, signal.SIGKILL)
            except OSError:
                pass
            finally:
                os.close(pidfd)
