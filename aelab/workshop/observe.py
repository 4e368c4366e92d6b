"""The checker's child process: runs the observers of some TODOs of one handout, in turn.

Started by aelab/workshop/check.py, never by hand:

    python -c "...; observe.main()" KIT FOLDER N [N ...]     observe TODOs N of FOLDER
    python -c "...; observe.main()" KIT --reference OUT       the kit's own values, into OUT

It writes one JSON line per event on a copy of its standard output that only
it holds: {"start": N} before TODO N's lines run, then {"todo": N,
"observations": [[key, value, message, tolerance], ...], "end": ...}; what
a student's lines print goes to standard error. A TODO that hangs, exits or
crashes this process is found by the parent, which starts another one for
the TODOs left.
"""

import json
import os
import sys
import traceback

from aelab.workshop.observing import plain
from aelab.workshop.source import Problem, handout_files


def describe(error):
    """One line for an exception raised by a student's lines, naming the file and line."""
    if isinstance(error, SyntaxError):
        return f"{type(error).__name__} in {error.filename} line {error.lineno}: {error.msg}"
    files = set(handout_files())
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename in files]
    where = f" ({frames[-1].filename} line {frames[-1].lineno})" if frames else ""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text[:160]}{where}"


def observe_todo(todo, handout):
    """(observations as plain lists, how they ended) for a student's lines of todo.

    end: None when the observer ran to its end; else {"kind": "problem" (what is
    wrong, found by the observer), "stopped" (the lines called exit, or ran
    into another TODO's stub) or "error" (they raised), "text": ...,
    "shapes": the shapes of what they made before an error}.
    """
    found = []
    try:
        for obs in todo.observe(handout, todo):
            found.append([obs.key, plain(obs.value), obs.message, obs.tolerance])
        return found, None
    except Problem as e:
        return found, {"kind": "problem", "text": str(e)}
    except SystemExit as e:
        return found, {"kind": "stopped", "text": str(e.code)}
    except Exception as e:  # the student's lines raised: say why
        return found, {"kind": "error", "text": describe(e), "shapes": getattr(e, "shapes", {})}


def _protocol():
    """A stream on this process's own standard output; fd 1 and sys.stdout go to stderr."""
    sys.stdout.flush()
    fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(fd, "w", encoding="utf-8", buffering=1)


def main(argv=None):
    argv = sys.argv[2:] if argv is None else argv
    out = _protocol()
    from aelab import quiet_tensorflow  # noqa: F401  (TensorFlow's start-up lines are noise here)
    from aelab.workshop.cut import answers, kit_texts, reference
    from aelab.workshop.source import Handout
    from aelab.workshop.todos import TODOS
    if argv[0] == "--reference":
        with open(argv[1] + ".tmp", "w", encoding="utf-8") as f:
            json.dump(reference(answers(kit_texts())), f)
        os.replace(argv[1] + ".tmp", argv[1])
        return 0
    handout = Handout(argv[0], TODOS)
    for number in map(int, argv[1:]):
        todo = TODOS[number - 1]
        out.write(json.dumps({"start": number}) + "\n")
        found, end = observe_todo(todo, handout)
        out.write(json.dumps({"todo": number, "observations": found, "end": end}) + "\n")
    return 0
