"""The checking process: runs the observers of some TODOs of one handout, in turn.

Started by aelab/workshop/supervise.py, never by hand, in the handout's
folder, from a private copy of the checker's modules (never the kit's folder):

    python -E -B -c "<start-up>" CHECKER [--salt N] [--confine JSON] N [N ...]

--confine (in the sandbox): the limits and the user to take before anything
else (sandbox.confine). It writes one JSON line per event on a copy of its
standard output that only it holds: {"start": N} before TODO N's lines run,
then {"todo": N, "observations": [[key, value], ...], "end": ...}, and
{"start": null} after the last; what a
student's lines print goes to standard error. The student's lines run in
this process and can write anything there too: the supervisor takes nothing
from it on trust (one start, then one result, for each TODO in turn; every
value judged against a reference this process never sees).
"""

import argparse
import json
import os
import sys
import traceback

import aelab
from aelab.workshop import observers, sandbox
from aelab.workshop.source import Handout, Problem, files_of
from aelab.workshop.todos import TODOS

TEXT = 300  # characters of a message kept for a row


def describe(error):
    """One line for an exception raised by a student's lines, naming the file and line."""
    if isinstance(error, SyntaxError):
        return f"{type(error).__name__} in {error.filename} line {error.lineno}: {error.msg}"
    files = {path for todo in TODOS for path in files_of(todo)}
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename in files]
    where = f" ({frames[-1].filename} line {frames[-1].lineno})" if frames else ""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text[:160]}{where}"


def run_observer(todo, handout):
    """(observations as [key, plain value] pairs, how they ended) for a student's lines of todo.

    end: None when the observer ran to its end; else {"kind": "problem" (what is
    wrong, found by the observer), "stopped" (the lines called exit, or ran
    into another TODO's stub) or "error" (they raised), "text": ...,
    "shapes": the shapes of what they made before an error}.
    """
    found = []
    try:
        for obs in todo.observer(handout, todo):
            found.append([obs.key, observers.plain(obs.value)])
        return found, None
    except Problem as e:
        return found, {"kind": "problem", "text": str(e)[:TEXT]}
    except SystemExit as e:
        return found, {"kind": "stopped", "text": str(e.code)[:TEXT]}
    except Exception as e:  # the student's lines raised: say why
        return found, {"kind": "error", "text": describe(e)[:TEXT],
                       "shapes": getattr(e, "shapes", {})}


def channel():
    """A stream on this process's own standard output; fd 1 and sys.stdout go to stderr."""
    sys.stdout.flush()
    fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(fd, "w", encoding="utf-8", buffering=1)


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="checking_process")
    parser.add_argument("--salt", type=int, help="mixed into the fixed inputs (observers.SALT)")
    parser.add_argument("--confine", type=json.loads, help="sandbox.confine's arguments")
    parser.add_argument("numbers", type=int, nargs="+")
    return parser.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    if args.confine:
        sandbox.confine(**args.confine)  # first: nothing runs before the limits and the user
    out = channel()
    observers.SALT = args.salt
    # The handout's other modules (aelab.precision, say) come from its folder, after the
    # checker's own: a student's lines that import them get what a run of theirs would.
    aelab.__path__.append(os.path.abspath("aelab"))
    from aelab import quiet_tensorflow  # TensorFlow's start-up lines are noise here
    handout = Handout(".", TODOS, strict=True)
    for number in args.numbers:
        todo = TODOS[number - 1]
        out.write(json.dumps({"start": number}) + "\n")
        found, end = run_observer(todo, handout)
        if args.confine:
            sandbox.end_strays()  # what its lines left running costs no later TODO
        out.write(json.dumps({"todo": number, "observations": found, "end": end}) + "\n")
    out.write(json.dumps({"start": None}) + "\n")  # confirms the last result: no TODO is left
    return 0
