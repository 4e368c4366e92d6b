"""What the lab scripts share: the MNIST loader, the model, run folders and helpers.

Importing this package starts TensorFlow quietly, so a lab script imports it
before TensorFlow: the first thing a student sees is the slides' output, not
TensorFlow's C++ start-up lines (CPU features, oneDNN, "no CUDA driver").
Anything else TensorFlow says while it starts still reaches the screen.
"""

import os
import re
import sys
import tempfile

# Start-up lines that say nothing a student can act on. TF_CPP_MIN_LOG_LEVEL
# hides most of them, but TensorFlow 2.21 writes some before its logging
# reads that setting; those are filtered out of what is printed at start-up.
_NOISE = re.compile(r"^(I\d{4} |\S+ \S+: I |WARNING: All log messages before absl|To enable the "
                    r"following instructions|.*(failed call to cuInit|Unable to register cu))")


class LabError(SystemExit):
    """A problem the user can fix (data, checkpoint, folder): one line, no traceback.

    A SystemExit, so a script (or `python -c`) that does not catch it ends with
    `error: <message>` and exit status 1.
    """

    def __init__(self, message):
        super().__init__("error: " + message)
        self.message = message


def _interrupted_quietly(kind, value, traceback):
    """sys.excepthook: Ctrl-C that nothing caught (during start-up, say) ends without a traceback."""
    if issubclass(kind, KeyboardInterrupt):
        print("\nInterrupted.", file=sys.stderr)
    else:
        _previous_excepthook(kind, value, traceback)


def _start_tensorflow_quietly():
    """Imports TensorFlow and lets it find its devices with stderr captured, then replays the rest."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow
            tensorflow.config.list_physical_devices()  # where "no CUDA driver" is said
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            said = captured.read().decode(errors="replace").splitlines()
            sys.stderr.write("".join(line + "\n" for line in said if not _NOISE.match(line)))


_previous_excepthook = sys.excepthook
sys.excepthook = _interrupted_quietly
_start_tensorflow_quietly()
