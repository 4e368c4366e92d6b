"""What a process in the grader's sandbox sees, short of TensorFlow, for tests/test_checking.py.

    python sandbox_probe.py CHECKER COPY PATH...

run by whoever the test grades as (root, or another user): builds the sandbox
as grade does (the checker's private copy in CHECKER, with this file in it; a
copy of a handout in COPY), runs this file inside it, and prints, as JSON,
what the process inside saw: its user, capabilities, limits, processes, files,
which of PATH it can read, and its network interfaces, with the
sandbox's uids and command line.
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
            "interfaces": [name for _, name in socket.if_nameindex()]}


def outside(checker, copy, paths):
    import subprocess

    from aelab.workshop import sandbox
    box = sandbox.Sandbox(checker, hidden=paths)
    confinement = json.dumps(box.confinement(0, 60))
    command, fds = box.command([sys.executable, "-E", f"{box.CHECKER}/sandbox_probe.py",
                                "--inside", confinement, *paths], copy)
    try:
        done = subprocess.run(command, pass_fds=fds, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL)
    finally:
        for fd in fds:
            os.close(fd)
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return dict(json.loads(done.stdout), uids=box.uids, command=command,
                expected=json.loads(confinement)["limits"])


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the checker's copy
    if sys.argv[1] == "--inside":
        print(json.dumps(inside(sys.argv[2], sys.argv[3:])))
    else:
        print(json.dumps(outside(sys.argv[1], sys.argv[2], sys.argv[3:])))
