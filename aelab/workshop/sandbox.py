"""The sandbox a student's lines run in when `grade` checks them on Linux: bubblewrap.

Each checking process runs under `bwrap` (bubblewrap: Flatpak's sandbox, the
Debian and Ubuntu package `bubblewrap`; no daemon, nothing setuid), with:

- namespaces of its own: network (empty: no connection leaves it, not even to
  127.0.0.1), process IDs (it sees and signals no process outside, and
  everything it starts ends with it), IPC, host name and cgroups;
- a file system built from nothing: /usr (with /bin, /lib... as the system
  has them) and the dynamic linker's and fonts' bits of /etc read-only; this
  Python's installation read-only at its own paths (its prefixes, exactly,
  never their parents); the checker's private copy read-only at CHECKER; a
  /tmp of its own, in memory and of a fixed size, holding a copy of the
  student's handout (WORK, the working folder) and HOME: the only places it
  can write. Nothing of the instructor's (home, the kit, the other students,
  the reference, the output files) is there;
- standard input from /dev/null, a session of its own (no terminal), and,
  as bwrap does, no new privileges from exec;
- a seccomp filter (seccomp.py) denying the kernel's keyrings, memfd and
  the other memory no limit counts, where the machine can apply one (grade
  says where it cannot);
- a memory cgroup of its own (memcg.py), where the machine lets the grader
  make one (root, cgroup v1 or v2): all its processes together, and what
  they keep in /tmp and /dev/shm, within check_memory() bytes; grade says
  where it cannot;
- in the process, before anything else (confine): limits on its address
  space, file size, CPU time, processes and core dumps; then, where `grade`
  runs as root, a uid and gid of its own (one per job slot, no groups, no
  capabilities, held by a lock file in LOCKS so that no other grading takes
  it while this one runs), so that root's files stay closed to it. As root, bwrap runs
  privileged to build the view (the Python may live in root's home, which
  no other uid can reach) and the process drops to its uid itself; as
  another user, bwrap makes a user namespace and disables further ones.
"""

import json
import os
import posixpath
import re
import shutil
import site
import subprocess
import sys

from aelab import LabError
from aelab.workshop import memcg, seccomp

MISSING = ("grading runs each student's code in a sandbox: install bubblewrap (sudo apt install "
           "bubblewrap), or pass --no-sandbox for submissions you trust")
NOT_ISOLATED = ("note: students' code is not isolated on {system}: it runs with your rights (the "
                "grades are still theirs alone); grade submissions you do not trust in a Linux "
                "virtual machine or container, see docs/workshop.md")
UNSANDBOXED = "note: --no-sandbox: students' code runs with your rights, not isolated"
CHECKER = "/opt/aelab-checker"  # where the checker's private copy is, inside
WORK = "/tmp/handout"           # the copy of the student's handout, inside
HOME = "/tmp"
TMP_SIZE = 256 << 20            # bytes of /tmp (the handout's copy included), in memory
SHM_SIZE = 64 << 20             # bytes of /dev/shm
FILE_SIZE = 256 << 20           # bytes of one file written
# The first uid (and gid) a root grader runs students' lines as, one per job slot: in the range
# systemd's table leaves unused (1879048192-2147352575), and skipping any a user or group has.
UID_BASE = 2_000_000_000
LOCKS = "/run/lock" if os.path.isdir("/run/lock") else "/tmp"  # a grading's lock on each uid it has
# bubblewrap's versions: the oldest with --perms, with --size (a tmpfs of a bounded size), and
# with --disable-userns (Debian 12 has 0.8, Ubuntu 22.04 0.6, Ubuntu 24.04 0.9).
OLDEST, SIZED, NO_USERNS = (0, 5), (0, 7), (0, 8)
SYSTEM = ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32")
ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "fonts")


def requested(no_sandbox):
    """(grade in the sandbox?, a note to print where not); LabError where Linux has no bwrap."""
    if no_sandbox:
        return False, UNSANDBOXED
    if not sys.platform.startswith("linux"):
        return False, NOT_ISOLATED.format(system="Windows" if os.name == "nt" else "macOS"
                                          if sys.platform == "darwin" else sys.platform)
    if shutil.which("bwrap") is None:
        raise LabError(MISSING)
    return True, None


def limits(cpu_seconds):
    """The rlimits of a checking process: enough for TensorFlow and a TODO's checks, no more."""
    cores = os.cpu_count() or 1
    return {"RLIMIT_AS": (4 << 30) + cores * (64 << 20),  # TensorFlow's start reserves ~2 GB
            "RLIMIT_FSIZE": FILE_SIZE, "RLIMIT_CPU": int(cpu_seconds),
            "RLIMIT_NPROC": 64 + 16 * cores,  # threads count: TensorFlow's pools grow with the cores
            "RLIMIT_CORE": 0}


def check_memory():
    """Bytes all the processes of one check may hold together: as much as one process's address
    space, plus the sandbox's /tmp and /dev/shm."""
    return limits(0)["RLIMIT_AS"] + TMP_SIZE + SHM_SIZE


def _gib(size):
    return f"{size / (1 << 30):.1f} GiB"


def end_strays(wait=2.0):
    """In a confined checking process, after a TODO: ends every other process of the sandbox but
    its init (what the student's lines left running: forked children, daemons) and reaps its own
    children, so that none holds a process slot or memory into the next TODO. Only in the
    sandbox, whose process namespace (--unshare-pid, its own /proc) holds nothing else."""
    import signal
    import time
    me = os.getpid()
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) not in (1, me):
            try:
                os.kill(int(name), signal.SIGKILL)
            except OSError:  # gone already, or not the student's
                pass
    until = time.monotonic() + wait
    while time.monotonic() < until:  # a killed child holds its slot until it is reaped
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                time.sleep(0.01)
        except ChildProcessError:
            return


def confine(limits, uid):
    """In the checking process, before anything else: its limits, then (under a root grader) the
    unprivileged uid of its slot, with its gid and no other groups; setuid drops every capability."""
    import resource
    for name, value in limits.items():
        resource.setrlimit(getattr(resource, name), (value, value))
    if uid is not None:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)


def main(argv):
    """The probe: a sandbox that starts Python and confines it, and nothing else."""
    confine(**json.loads(argv[0]))
    return 0


def python_roots():
    """The folders of this Python a checking process needs: its installation, its virtual
    environment, and the user's site-packages where this Python uses them."""
    roots = [sys.base_prefix, sys.base_exec_prefix, sys.prefix, sys.exec_prefix]
    user = site.getusersitepackages() if site.ENABLE_USER_SITE else None
    if user and user in sys.path and os.path.isdir(user):
        roots.append(user)
    return list(dict.fromkeys(os.path.abspath(root) for root in roots))


def bwrap_version(bwrap):
    """bubblewrap's version, as a tuple of numbers ((0,) where it does not say)."""
    try:
        said = subprocess.run([bwrap, "--version"], capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return (0,)
    found = re.search(r"(\d+)\.(\d+)", said)
    return tuple(map(int, found.groups())) if found else (0,)


def _dotted(version):
    return ".".join(map(str, version))


def _inside(path, folder):
    return os.path.commonpath([path, folder]) == folder


def _taken(number):
    """True if a user or a group of this machine has this id."""
    import grp
    import pwd
    for lookup in (pwd.getpwuid, grp.getgrgid):
        try:
            lookup(number)
            return True
        except KeyError:
            pass
    return False


def _claim(number):
    """The lock file (open) that holds id `number` for this grading, or None where another grading
    holds it: two gradings never run students' lines as one uid at once."""
    import fcntl
    fd = os.open(os.path.join(LOCKS, f"aelab-uid-{number}.lock"),
                 os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return os.fdopen(fd, "rb")


def _free_ids(count):
    """(`count` ids from UID_BASE up that no user or group has and no other grading holds, the
    locks that hold them)."""
    found, locks, number = [], [], UID_BASE
    while len(found) < count:
        lock = None if _taken(number) else _claim(number)
        if lock:
            found.append(number)
            locks.append(lock)
        number += 1
    return found, locks


class Sandbox:
    """bubblewrap's command lines for the checking processes of one grading."""

    CHECKER = CHECKER

    def __init__(self, checker, hidden=(), slots=1, memory=None):
        """checker: the folder of the checker's private copy; hidden: folders to hide should they
        be under a folder the sandbox shows (the kit and its aelab/, the home, the output), unless
        this Python needs them; slots: jobs at a time; memory: bytes one check's processes may hold
        in all (check_memory() if None)."""
        self.checker, self.bwrap = checker, shutil.which("bwrap")
        self.version = bwrap_version(self.bwrap)
        if self.version < OLDEST:
            raise LabError(f"bubblewrap {_dotted(self.version)} is too old for the sandbox (it "
                           f"needs {_dotted(OLDEST)} or later): install a newer one, or pass "
                           f"--no-sandbox for submissions you trust")
        self.uids, self._locks = _free_ids(slots) if os.geteuid() == 0 else (None, [])
        self.filter = seccomp.program() if _seccomp_here() else None
        self.groups, self._no_groups = memcg.available(memory or check_memory())
        self.notes = self._shortcomings()
        self._view = self._namespaces() + self._files(hidden) + self._environment()

    def close(self):
        """The grading is done with its uids: another may take them."""
        for lock in self._locks:
            lock.close()
        self._locks = []

    def _shortcomings(self):
        """Notes on what this bubblewrap cannot do that a newer one does."""
        notes = []
        if self.version < SIZED:
            notes.append(f"note: bubblewrap {_dotted(self.version)} cannot bound the size of the "
                         f"sandbox's /tmp ({_dotted(SIZED)} can): a student's lines could fill "
                         f"memory there")
        if self.version < NO_USERNS and not self.uids:
            notes.append(f"note: bubblewrap {_dotted(self.version)} cannot keep students' lines "
                         f"from making user namespaces ({_dotted(NO_USERNS)} can)")
        if self.filter is None:
            notes.append(f"note: no seccomp filter on this machine ({seccomp.machine()}, or a "
                         f"kernel without seccomp): students' lines can use the kernel's keyrings "
                         f"and memfd memory, outside the limits; grade on x86_64 or aarch64 Linux "
                         f"to close them")
        if self.groups is None:
            notes.append(f"note: {self._no_groups}: each process of a check is bounded "
                         f"({_gib(limits(0)['RLIMIT_AS'])} of address space), not all of them "
                         f"together; grade as root, or where your cgroup lets you make memory "
                         f"cgroups, to bound a check at {_gib(check_memory())}")
        return notes

    def _sized(self, size):
        return ["--size", str(size)] if self.version >= SIZED else []

    def _namespaces(self):
        if self.uids:  # privileged: no user namespace, the process drops to its uid itself
            spaces = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
                      "--unshare-cgroup-try", "--cap-drop", "ALL", "--cap-add", "CAP_SETUID",
                      "--cap-add", "CAP_SETGID"]
        else:
            spaces = ["--unshare-user", "--unshare-ipc", "--unshare-pid", "--unshare-net",
                      "--unshare-uts", "--unshare-cgroup-try"]
            spaces += ["--disable-userns"] if self.version >= NO_USERNS else []
        return [self.bwrap, *spaces, "--die-with-parent", "--new-session"]

    def _files(self, hidden):
        """The file system: system folders, this Python and the checker read-only, /tmp its own."""
        args = [*self._sized(TMP_SIZE), "--perms", "1777", "--tmpfs", "/tmp"]
        shown, made = [], set()
        for name in SYSTEM:
            path = "/" + name
            if os.path.islink(path):  # merged /usr: /bin -> usr/bin
                args += ["--symlink", os.readlink(path), path]
            elif os.path.isdir(path):
                args += ["--ro-bind", path, path]
                shown.append(path)
        for name in ETC:
            args += _parents(f"/etc/{name}", made) + ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
        roots = python_roots()
        for root in roots:
            if not any(_inside(root, folder) for folder in shown):
                args += _parents(root, made) + ["--ro-bind", root, root]
                shown.append(root)
        args += _parents(CHECKER, made) + ["--ro-bind", self.checker, CHECKER]
        needed = [entry for entry in map(os.path.abspath, filter(None, sys.path))
                  if any(_inside(entry, root) for root in roots)]
        for path in map(os.path.abspath, hidden):  # a kit installed among the packages, say
            if (os.path.isdir(path) and any(_inside(path, folder) for folder in shown)
                    and not any(_inside(entry, path) for entry in needed)):
                args += ["--tmpfs", path]  # an empty folder over it
        return args + ["--proc", "/proc", "--dev", "/dev", *self._sized(SHM_SIZE), "--perms",
                       "1777", "--tmpfs", "/dev/shm"]

    @staticmethod
    def _environment():
        env = {"HOME": HOME, "TMPDIR": HOME, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
               "MPLBACKEND": "Agg", "MPLCONFIGDIR": f"{HOME}/matplotlib"}
        return ["--clearenv"] + [arg for name, value in env.items()
                                 for arg in ("--setenv", name, value)]

    def group(self):
        """A new memory cgroup for one check (memcg.Group), or None where the machine has none."""
        return self.groups.make() if self.groups else None

    def confinement(self, slot, cpu_seconds):
        """What a checking process in job slot `slot` confines itself to (confine's arguments)."""
        return {"limits": limits(cpu_seconds), "uid": self.uids[slot] if self.uids else None}

    def command(self, inside, folder=None):
        """(bwrap's command line running the command `inside` on a copy of the handout in folder,
        the descriptors bwrap copies its files from, for the caller to close once it started)."""
        args, fds = [], []
        try:
            if self.filter is not None:
                fds.append(_pipe_of(self.filter))
                args += ["--seccomp", str(fds[-1])]
            for here, _, files in os.walk(folder) if folder else [(None, [], [])]:
                rel = os.path.relpath(here, folder) if here else "."
                target = WORK if rel == "." else posixpath.join(WORK, *rel.split(os.sep))
                args += ["--perms", "0777", "--dir", target]
                for name in files:
                    fds.append(os.open(os.path.join(here, name),
                                       os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC))
                    args += ["--perms", "0666", "--file", str(fds[-1]), posixpath.join(target, name)]
        except OSError:
            for fd in fds:
                os.close(fd)
            raise
        return [*self._view, *args, "--chdir", WORK, "--", *inside], fds


def _pipe_of(data):
    """The reading end of a pipe holding data (at most a pipe's buffer), its writing end closed."""
    read, write = os.pipe()
    try:
        os.write(write, data)
    finally:
        os.close(write)
    return read


def _seccomp_here():
    """True where the kernel can filter a process's system calls (its status tells of seccomp)."""
    try:
        with open("/proc/self/status") as f:
            return any(line.startswith("Seccomp:") for line in f)
    except OSError:
        return False


def _parents(path, made):
    """bwrap's arguments making the folders above path, each once, open to every user."""
    args, parts = [], path.strip("/").split("/")[:-1]
    for i in range(1, len(parts) + 1):
        parent = "/" + "/".join(parts[:i])
        if parent not in made:
            made.add(parent)
            args += ["--perms", "0755", "--dir", parent]
    return args


def unable(said):
    """The LabError for a bubblewrap that cannot make a sandbox here (said: what it said)."""
    return LabError(f"bubblewrap cannot make a sandbox here ({said}): {_fix()}, or pass "
                    f"--no-sandbox for submissions you trust")


def _setting(name):
    try:
        with open(f"/proc/sys/{name}") as f:
            return f.read().strip()
    except OSError:
        return None


def _fix():
    """What lets bubblewrap make its namespaces here, as far as this machine tells."""
    if os.geteuid() != 0 and _setting("kernel/apparmor_restrict_unprivileged_userns") == "1":
        return ("let unprivileged users make user namespaces (sudo sysctl -w "
                "kernel.apparmor_restrict_unprivileged_userns=0)")
    if os.geteuid() != 0 and _setting("kernel/unprivileged_userns_clone") == "0":
        return "let users make user namespaces (sudo sysctl -w kernel.unprivileged_userns_clone=1)"
    if _setting("user/max_user_namespaces") == "0":
        return "allow user namespaces (sudo sysctl -w user.max_user_namespaces=10000)"
    if os.path.exists("/.dockerenv") or os.path.exists("/run/.containerenv"):
        return "start this container with --privileged (see docs/workshop.md)"
    return "see the sandbox in docs/workshop.md"
