"""Starts TensorFlow as the lab needs it: without the C++ start-up lines a student cannot act on,
and in TensorFlow 1.x's graph mode (placeholders, sessions), the one place that turns eager
execution off.

The lab scripts import this module before anything else (pyproject.toml's import order keeps it
first):

    import aelab.quiet_tensorflow

so that the first thing a student sees is the slides' output, not CPU
features, oneDNN notes or "no CUDA driver". TF_CPP_MIN_LOG_LEVEL hides
TensorFlow's information lines, but TensorFlow 2.21 writes some before its
logging reads that setting; those are filtered out of what it prints while it
starts, and anything else it says (a warning on why a GPU is not used, say)
still reaches the screen. TensorFlow's Python deprecation notices are
silenced too. Ctrl-C while TensorFlow loads ends the
program with one line and status 130, as Ctrl-C does later on: it is held
until the import is done, since some of the modules TensorFlow imports would
swallow it (a bare `except:` around an optional import) and the program would
go on as if no key had been pressed.

Where the process has no usable standard error (pythonw, IDLE started from the
Start menu) there is nothing to filter, and TensorFlow is imported as it is.
"""

import os
import re
import signal
import sys
import tempfile
import threading

# Start-up lines that say nothing a student can act on.
NOISE = re.compile(r"^(I\d{4} |\S+ \S+: I |WARNING: All log messages before absl|To enable the "
                   r"following instructions|.*(failed call to cuInit|Unable to register cu))")


def _has_stderr():
    """True where descriptor 2, what TensorFlow's C++ code writes to, is open."""
    try:
        os.fstat(2)
    except OSError:
        return False
    if sys.stderr is not None:
        sys.stderr.flush()
    return True


def _import_tensorflow():
    """Imports TensorFlow and lets it find its devices (where "no CUDA driver" is said)."""
    import tensorflow
    tensorflow.config.list_physical_devices()


def start():
    """Imports TensorFlow with its start-up lines on stderr filtered, in the graph mode of
    TensorFlow 1.x that the slides' code needs; silences its Python deprecation notices.

    While it imports, TF_CPP_MIN_LOG_LEVEL is 1 (unless the user set it): its C++ code keeps
    that level from its first line on, hiding its information lines but not its warnings and
    errors (why a GPU is not used, say). The variable is then put back as it was, so that
    the programs this process starts see the user's own setting.
    """
    level = os.environ.get("TF_CPP_MIN_LOG_LEVEL")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
    try:
        if "tensorflow" not in sys.modules:
            with _ctrl_c_held():
                _import_quietly()
    finally:
        if level is None:
            del os.environ["TF_CPP_MIN_LOG_LEVEL"]
    tensorflow = sys.modules["tensorflow"]
    tensorflow.get_logger().setLevel("ERROR")
    tensorflow.compat.v1.disable_eager_execution()  # the one place: placeholders, sessions


class _ctrl_c_held:
    """Holds a Ctrl-C pressed inside the block until its end, then raises KeyboardInterrupt."""

    def __enter__(self):
        self.pressed, self.previous = False, None
        if threading.current_thread() is threading.main_thread():  # signals reach only it
            self.previous = signal.signal(signal.SIGINT, self._press)

    def _press(self, signum, frame):
        self.pressed = True

    def __exit__(self, kind, value, traceback):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
        if self.pressed and kind is None:
            raise KeyboardInterrupt


def _import_quietly():
    """Imports TensorFlow with stderr captured, then writes what it said but the noise."""
    if not _has_stderr() or sys.stderr is None:
        _import_tensorflow()
        return
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            _import_tensorflow()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            said = captured.read().decode(errors="replace").splitlines()
            sys.stderr.write("".join(line + "\n" for line in said if not NOISE.match(line)))


try:
    start()
except KeyboardInterrupt:
    print("\nInterrupted.", file=sys.stderr)
    raise SystemExit(130) from None
