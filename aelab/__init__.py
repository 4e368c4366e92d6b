"""What the lab scripts share: the MNIST loader, the model, run folders and helpers.

Importing the package (or any of its modules but those that build graphs)
does not start TensorFlow. The lab scripts start it through one explicit
import, first of all: `import aelab.quiet_tensorflow`.
"""


class LabError(SystemExit):
    """A problem the user can fix (data, checkpoint, folder): one line, no traceback.

    A SystemExit, so a script (or `python -c`) that does not catch it ends with
    `error: <message>` and exit status 1.
    """

    def __init__(self, message):
        super().__init__("error: " + message)
        self.message = message
