"""What a process in the grader's sandbox sees, short of TensorFlow, for tests/test_checking.py.

    python sandbox_probe.py CHECKER COPY PATH...
    python sandbox_probe.py --hog CHECKER COPY LIMIT CHILDREN EACH

run by whoever the test grades as (root, or another user): builds the sandbox
as grade does (the checker's private copy in CHECKER, with this file in it; a
copy of a handout in COPY), runs this file inside it, and prints, as JSON,
what the process inside saw: its user, capabilities, limits, processes, files,
which of PATH it can read, and its network interfaces, with the
sandbox's uids and command line, and what the calls the seccomp filter denies gave.
With --hog, in a sandbox whose checks may hold LIMIT bytes in all, the process
forks CHILDREN processes that each hold EACH bytes (each far within its own
limit), and it prints how they ended, whether the check's memory cgroup saw an
out-of-memory kill, and whether the cgroup is gone after the check.
"""

import json
import os
import socket
import sys


def readable(path):
    try:
        open(path, "rb").close()
        return True
    except OSError:
        return False


def denied_calls():
    """{call: what it gave} for the kernel's keyrings, memfd and System V shared memory: an errno
    name where the call failed, "made" where it did not."""
    import ctypes
    import errno
    import platform
    libc = ctypes.CDLL(None, use_errno=True)
    numbers = {"x86_64": {"keyctl": 250, "add_key": 248, "shmget": 29},
               "aarch64": {"keyctl": 219, "add_key": 217, "shmget": 194}}[platform.machine()]
    args = {"keyctl": (0, -3, 0),  # KEYCTL_GET_KEYRING_ID of the session keyring, made if none
            "add_key": (b"user", b"aelab-probe", b"secret", 6, -3),
            "shmget": (0, 1 << 20, 0o1600)}  # IPC_PRIVATE, IPC_CREAT | 0600
    said = {}
    for name, number in numbers.items():
        done = libc.syscall(ctypes.c_long(number), *args[name])
        said[name] = errno.errorcode[ctypes.get_errno()] if done == -1 else "made"
    try:
        os.close(os.memfd_create("aelab-probe"))
        said["memfd_create"] = "made"
    except OSError as e:
        said["memfd_create"] = errno.errorcode[e.errno]
    return said


def inside(confinement, paths):
    import resource

    from aelab.workshop import sandbox
    sandbox.confine(**json.loads(confinement))
    with open("/proc/self/status") as f:
        status = dict(line.split(":\t", 1) for line in f.read().splitlines())
    with open("mine.txt", "w") as f:
        f.write("written")
    return {"uid": os.getuid(), "groups": os.getgroups(), "cwd": os.getcwd(),
            "files": sorted(os.listdir(".")), "caps": status["CapEff"].strip(),
            "no_new_privs": status["NoNewPrivs"].strip(),
            "pids": sorted(p for p in os.listdir("/proc") if p.isdigit()),
            "limits": {name: resource.getrlimit(getattr(resource, name))[0]
                       for name in json.loads(confinement)["limits"]},
            "readable": [path for path in paths if readable(path)], "stdin": sys.stdin.read(),
            "interfaces": [name for _, name in socket.if_nameindex()], "calls": denied_calls()}


def _ran(command, fds):
    """The finished process of command, given the descriptors it is passed (closed here); ends
    this probe with its standard error where it failed."""
    import subprocess
    try:
        done = subprocess.run(command, pass_fds=fds, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL)
    finally:
        for fd in fds:
            os.close(fd)
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return done


def outside(checker, copy, paths):
    from aelab.workshop import sandbox
    box = sandbox.Sandbox(checker, hidden=paths)
    confinement = json.dumps(box.confinement(0, 60))
    command, fds = box.command([sys.executable, "-E", f"{box.CHECKER}/sandbox_probe.py",
                                "--inside", confinement, *paths], copy)
    done = _ran(command, fds)
    return dict(json.loads(done.stdout), uids=box.uids, command=command,
                expected=json.loads(confinement)["limits"])


def hog_inside(confinement, children, each):
    """Forks `children` processes (at most 255), each holding `each` bytes until all hold theirs
    or died: their exit statuses (negative: the signal that killed them)."""
    import select

    from aelab.workshop import sandbox
    sandbox.confine(**json.loads(confinement))
    held, release = os.pipe(), os.pipe()
    pids = []
    for number in range(children):
        pid = os.fork()
        if pid == 0:
            os.close(release[1])
            memory = b"\x01" * each  # written, so every page is the process's own
            os.write(held[1], bytes([number]))
            os.read(release[0], 1)  # holds it until the parent lets go (closes its end)
            os._exit(len(memory) != each)
        pids.append(pid)
    holding, ended = set(), {}
    while len(holding | set(ended)) < children:  # until each child holds its memory, or died
        if select.select([held[0]], [], [], 0.05)[0]:
            holding.update(os.read(held[0], children))
        for number, pid in enumerate(pids):
            done, status = (0, 0) if number in ended else os.waitpid(pid, os.WNOHANG)
            if done:
                ended[number] = os.waitstatus_to_exitcode(status)
    os.close(release[1])
    return [ended[number] if number in ended else os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
            for number, pid in enumerate(pids)]


def hog_outside(checker, copy, limit, children, each):
    from aelab.workshop import sandbox
    box = sandbox.Sandbox(checker, memory=int(limit))
    group = box.group()
    if group is None:
        return {"groups": None, "notes": box.notes}
    confinement = json.dumps(box.confinement(0, 60))
    command, fds = box.command([sys.executable, "-E", f"{box.CHECKER}/sandbox_probe.py",
                                "--hog-inside", confinement, children, each], copy)
    done = _ran(group.wrap(command), fds)
    killed, made = group.out_of_memory(), os.path.isdir(group.path)
    group.remove()
    return {"groups": box.groups.folder, "statuses": json.loads(done.stdout),
            "out_of_memory": killed, "made": made, "gone": not os.path.exists(group.path),
            "limit": group.limit, "per_process": box.confinement(0, 60)["limits"]["RLIMIT_AS"]}


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the checker's copy
    if sys.argv[1] == "--inside":
        print(json.dumps(inside(sys.argv[2], sys.argv[3:])))
    elif sys.argv[1] == "--hog-inside":
        print(json.dumps(hog_inside(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))))
    elif sys.argv[1] == "--hog":
        print(json.dumps(hog_outside(*sys.argv[2:])))
    else:
        print(json.dumps(outside(sys.argv[1], sys.argv[2], sys.argv[3:])))
