"""The reference values: what the kit's own lines give in each TODO's checks.

    {TODO number (as a string): {key: [value, message, tolerance, kind]}}

For each value a TODO's checks observe: what the kit's lines give, the message
to show when a student's lines give something else, how close they must come
([rtol, atol], or None: exactly), and its kind (observers.VALUE or VARIABLES). The judge takes the message and the
tolerance from here, never from the checking process that ran a student's lines.

A handout stores its kit's values (aelab/workshop_reference.json, written by
`make`), so that a student's `check` needs no answers. The kit's checker
(an instructor's `check` of a student's folder, and `grade`) computes its own
in a process of its own, from the kit's lines, before any student's lines
run: the values come back over a pipe and stay in this process's memory.
They are computed on fixed inputs salted with a number drawn for this run
(observers.SALT), so that the values a handout holds, which every student has,
are not the ones a grade is judged on.
"""

import json
import os
import secrets
import subprocess

from aelab import LabError
from aelab.workshop import observers
from aelab.workshop.checking_process import channel
from aelab.workshop.source import KIT, REFERENCE_FILE, Handout
from aelab.workshop.supervise import POLL, python_command
from aelab.workshop.todos import TODOS


def values(answer_texts, salt=None):
    """What the lines in answer_texts give in each TODO's checks, on inputs salted with salt."""
    handout = Handout(None, TODOS, texts=answer_texts)
    observers.SALT = salt
    try:
        return {str(todo.number): {obs.key: [observers.plain(obs.value), obs.message, obs.tolerance,
                                             obs.kind]
                                   for obs in todo.observer(handout, todo)} for todo in TODOS}
    finally:
        observers.SALT = None


class Reference:
    """The values a checker judges by, the salt its checking processes use for them, and the
    values a handout made by this kit holds (to tell a student's copy that differs)."""

    def __init__(self, judged, salt, handout):
        self.judged, self.salt, self.handout = judged, salt, handout

    @classmethod
    def of_handout(cls):
        """A handout's own values (its checker holds aelab/workshop_reference.json), or None."""
        path = os.path.join(KIT, REFERENCE_FILE)
        if not os.path.isfile(path):
            return None
        with open(path, encoding="utf-8") as f:
            stored = json.load(f)
        return cls(stored, None, stored)

    @classmethod
    def of_kit(cls):
        """The kit's own values, computed in a process of its own and read from its pipe."""
        salt = secrets.randbits(32)
        proc = subprocess.Popen(python_command(KIT, "reference", [str(salt)]), cwd=KIT,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        try:
            out, err = _wait(proc)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        try:
            judged, handout = json.loads(out)
        except ValueError:
            said = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
            raise LabError(f"the kit's own TODO lines could not be checked (exit status "
                           f"{proc.returncode}: {said[0][:200]}); is the kit complete? Run "
                           f"python -m pytest in it") from None
        return cls(judged, salt, handout)


def _wait(proc):
    """(stdout, stderr) of a process, waited for in short slices so that Ctrl-C is seen at once."""
    while True:
        try:
            return proc.communicate(timeout=POLL)
        except subprocess.TimeoutExpired:
            pass  # the slice is over: a Ctrl-C pressed meanwhile is raised here


def main(argv):
    """The reference process: the kit's values on inputs salted with argv[0], and unsalted
    (what its handouts hold), as one JSON line on its own channel."""
    out = channel()
    from aelab import quiet_tensorflow  # TensorFlow's start-up lines are noise here
    from aelab.workshop.cut import answers, kit_texts
    texts = answers(kit_texts())
    out.write(json.dumps([values(texts, int(argv[0])), values(texts)]) + "\n")
    out.close()
    return 0
