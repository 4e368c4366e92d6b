"""What the lab scripts share: the MNIST loader (`input_data`), the model (`model`) and helpers."""

import os

# TensorFlow's C++ start-up chatter (CPU features, no CUDA device) is noise in a
# classroom; warnings and errors that matter still reach Python.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


class LabError(SystemExit):
    """A problem the user can fix (data, checkpoint, folder): one line, no traceback.

    A SystemExit, so a script (or `python -c`) that does not catch it ends with
    `error: <message>` and exit status 1.
    """

    def __init__(self, message):
        super().__init__("error: " + message)
        self.message = message
