"""What can go wrong with a run's machine: a write that fails, too little memory.

`write_problem` turns a failed write (a full disk, a read-only or removed
folder, by Python or by TensorFlow) into a few words for the run's last line;
`check_memory` stops a run before it starts where the model cannot fit.
"""

import errno
import os
import re

import tensorflow.compat.v1 as tf

from aelab import LabError

# Windows' errors for a file that another program has open (Excel, OneDrive): sharing and lock
# violations, which Python reports as PermissionError.
IN_USE = (32, 33)


def cannot_write(strerror=os.strerror):
    """{errno: the system's words for it} of the errors that stop a write.

    Where the system has no words for a code (Windows says "Unknown error" for
    EDQUOT), the code is left out: those words also end errors that are not writes.
    """
    codes = (errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT, errno.ENOENT,
             errno.EIO)
    return {code: strerror(code) for code in codes
            if not strerror(code).lower().startswith("unknown error")}


def write_problem(error, known=None):
    """Why a write failed and what it was writing, if error is a failed write; else None.

    known: cannot_write(), as the system words it.
    """
    known = cannot_write() if known is None else known
    if isinstance(error, OSError) and getattr(error, "winerror", None) in IN_USE:
        name = os.path.basename(str(error.filename or "the file"))
        return (f"{name} is open in another program (Excel? OneDrive?), which keeps others from "
                f"writing it")
    if isinstance(error, OSError) and error.errno in known:
        what = error.filename
    elif isinstance(error, tf.errors.OpError) and any(
            words in error.message for words in known.values()):
        what = error.message.split(";")[0].strip()  # TensorFlow names the file first
    else:
        return None
    why = next(words for code, words in known.items()
               if getattr(error, "errno", None) == code or words in str(error))
    what = re.sub(r"\.tempstate\d+$", "", os.path.basename(str(what or "")))
    return f"{why} (writing {what})" if what else why


def could_not_write(logdir, problem, last, checkpoint_bytes):
    """The last line of a run that could not write into logdir (problem: from write_problem)."""
    fix = ("Close it there and run the same command to resume." if "another program" in problem
           else "Make room (or choose a --logdir you can write to) and run the same command to "
                "resume.")
    return (f"error: could not write into {logdir}: {problem}. Last whole checkpoint: {last}; "
            f"each checkpoint needs about {(checkpoint_bytes or 0) / 2 ** 20:.0f} MB. {fix}")


def physical_memory():
    """This machine's memory in bytes, or None where it cannot be told."""
    try:
        if os.name == "nt":
            import ctypes

            class Status(ctypes.Structure):
                _fields_ = [("length", ctypes.c_ulong), ("load", ctypes.c_ulong),
                            ("total", ctypes.c_ulonglong), ("free", ctypes.c_ulonglong),
                            ("rest", ctypes.c_ulonglong * 5)]
            status = Status(length=ctypes.sizeof(Status))
            ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status))
            return status.total
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def checkpoint_bytes():
    """The size of a checkpoint of the default graph, about: every variable, Adam's included."""
    return 4 * sum(v.shape.num_elements() for v in tf.global_variables())


def memory_needed(batch):
    """Bytes training the default graph needs, about: every variable, the gradients, and a few
    copies of each layer's outputs for a batch of `batch` images."""
    widths = sum(int(v.shape[-1]) for v in tf.trainable_variables() if len(v.shape) == 2)
    gradients = sum(v.shape.num_elements() for v in tf.trainable_variables())
    return checkpoint_bytes() + 4 * (gradients + 8 * batch * widths)


def check_memory(batch):
    """LabError where training the default graph on batches of `batch` would not fit in memory."""
    needed, memory = memory_needed(batch), physical_memory()
    if memory and needed > 0.8 * memory:
        raise LabError(f"this model needs about {needed / 2 ** 30:.1f} GB of memory to train "
                       f"(weights, gradients, Adam's state, a batch's layers), and this machine "
                       f"has {memory / 2 ** 30:.1f} GB; choose a smaller N_CODE")
