"""What many tests read, made once per test session and shared across pytest-xdist's workers."""

import json
import os
import shutil

import filelock

from running import Result


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
