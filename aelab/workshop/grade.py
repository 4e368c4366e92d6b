"""Grading a class: each student's handout, as a folder or a zip, checked by the kit's checker.

    python -m aelab.workshop grade SUBMISSIONS [--out grades.csv] [--feedback DIR] [--jobs N]
                                               [--timeout S] [--no-sandbox]

SUBMISSIONS holds one entry per student, a folder or a .zip, named for the
student. Each is copied (submissions.py: following no link) into a private
temporary folder and checked there by this kit's checker, against this
kit's reference (computed before any student's lines run, and kept in this
process), several students at a time, each TODO for at most --timeout seconds
and each student's lines for at most every TODO's limit once, in all (bound);
on Linux each checking process runs in a sandbox (sandbox.py). What the
student's folder holds of the checker itself is neither run nor used for
grading; what is not the student's work (a virtual environment, caches, run
folders, the data) is not even read (submissions.py). Prints a line per
student as each is done, then for each TODO how many have it ok, wrong, in
error and not filled; grades.csv gets each row as the student is done, and a
stopped grading resumes (gradebook.py); at the end the class report
(report.py) goes beside it, as grades.png and grades.html; with --feedback,
each student's table to hand back.
"""

import collections
import concurrent.futures
import os
import queue
import shutil
import sys
import tempfile
import threading
import time

from aelab import LabError
from aelab.workshop import check, report, sandbox, supervise
from aelab.workshop.gradebook import STOPPED, TEMP_PREFIX, Gradebook
from aelab.workshop.reference import Reference
from aelab.workshop.source import KIT, REFERENCE_FILE
from aelab.workshop.submissions import Ungradable, copy_folder, printable, submissions, unpack
from aelab.workshop.table import Table, pad, summary, width
from aelab.workshop.todos import TODOS

NAME_COLUMNS = 40  # the student column of grade's lines at most: a longer name runs past it
Graded = collections.namedtuple("Graded", "student rows seconds notes")


def grade_one(submission, into, reference, launcher, timeout, slot=0):
    """Checks one student's handout in a fresh copy at `into`; returns Graded.

    Whatever goes wrong with this submission is its row, never the class's end.
    """
    started = time.monotonic()
    notes = []
    try:
        os.makedirs(into)
        notes += (unpack if submission.zipped else copy_folder)(submission.path, into)
        notes += check.notes(into, reference)
        if os.path.exists(os.path.join(into, REFERENCE_FILE)):  # the student's: not used, not shown
            os.remove(os.path.join(into, REFERENCE_FILE))
        rows = check.check_folder(into, reference, launcher, TODOS, timeout, slot=slot,
                                  bound=bound(timeout))
    except Ungradable as e:
        rows, notes = None, [str(e)]
    except supervise.Stopped:
        raise
    except Exception as e:  # a bug this submission ran into: its row says so, the class goes on
        rows, notes = None, [f"the grader failed on this submission ({type(e).__name__}: {e})"]
    finally:
        shutil.rmtree(into, ignore_errors=True)
    failed = collections.defaultdict(list)  # {text: TODO numbers}: a broken module fails several
    for row in rows or ():
        if row.cell in ("error", "timeout"):
            failed[row.text].append(str(row.todo.number))
    notes += [f"TODO {', '.join(numbers)}: {text}" for text, numbers in failed.items()]
    return Graded(submission.student, rows, time.monotonic() - started, list(map(printable, notes)))


def feedback_text(graded):
    """The table a student gets back: as `check` prints it, with the notes."""
    table = Table()
    lines = [f"student: {graded.student}", ""]
    if graded.rows is None:
        lines.append("not graded: " + "; ".join(graded.notes))
    else:
        lines += [table.header(), *(table.line(row) for row in graded.rows), summary(graded.rows)]
        lines += [f"note: {note}" for note in graded.notes]
    return "\n".join(lines) + "\n"


class _Grading:
    """One run of `grade`: its gradebook, reference, checking processes and what it prints."""

    def __init__(self, book, reference, launcher, temp, timeout, width):
        self.book, self.reference, self.launcher = book, reference, launcher
        self.temp, self.timeout, self.width = temp, timeout, width
        self._printing = threading.Lock()

    def done(self, graded):
        """A student is done: in grades.csv and their feedback file, then a line on screen."""
        self.book.finish(graded, feedback_text(graded))
        said = (f"{sum(r.cell == 'ok' for r in graded.rows)} of {len(TODOS)} ok" if graded.rows
                else f"not graded: {graded.notes[0]}")
        with self._printing:
            print(f"{pad(graded.student, self.width)}  {said}  {graded.seconds:.1f} s", flush=True)

    def run(self, students, jobs, note=None):
        """Grades (index, Submission) pairs, `jobs` at a time, each slot with its own sandbox user."""
        slots = queue.Queue()
        for slot in range(jobs):
            slots.put(slot)

        def work(index, submission):
            slot = slots.get()
            try:
                self.book.checking(submission.student)
                graded = grade_one(submission, os.path.join(self.temp, f"s{index:04d}"),
                                   self.reference, self.launcher, self.timeout, slot)
                if self.launcher.stopped:  # its checks were cut short: not done
                    raise supervise.Stopped
                self.done(graded._replace(notes=[note, *graded.notes]) if note else graded)
            finally:
                slots.put(slot)

        pool = concurrent.futures.ThreadPoolExecutor(jobs)
        try:
            futures = [pool.submit(work, index, submission) for index, submission in students]
            for future in _as_done(futures):
                future.result()
        except BaseException:  # Ctrl-C, or grades.csv that cannot be written: stop every check
            self.launcher.stop()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown()


def grade(folder, out="grades.csv", feedback=None, jobs=None, timeout=check.DEFAULT_TIMEOUT,
          no_sandbox=False):
    """Grades every submission in folder; prints a line per student and the class table."""
    if not os.path.isdir(folder):
        raise LabError(f"{folder} is not a folder; give the folder that holds a folder or a .zip "
                       f"per student")
    found, skipped = submissions(folder)
    for name in skipped:
        print(f"skipped {name}: neither a folder nor a .zip")
    if not found:
        raise LabError(f"{folder} holds no student folder or .zip to grade")
    jobs = jobs or os.cpu_count() or 1
    book = Gradebook(out, folder, feedback)
    left = [(i, s) for i, s in enumerate(found) if s.student not in book.rows]
    # by the times a grader died checking them: none, once (checked again, alone), twice (not)
    fresh, again, given_up = ([(i, s) for i, s in left if min(book.stops.get(s.student, 0), 2) == n]
                              for n in (0, 1, 2))
    temp = os.path.realpath(tempfile.mkdtemp(prefix=TEMP_PREFIX))
    try:
        launcher = reference = None
        if fresh or again:
            hidden = [KIT, os.path.join(KIT, "aelab"), os.path.expanduser("~"), folder,
                      os.path.dirname(os.path.abspath(out)), *([feedback] if feedback else [])]
            launcher, reference = _checking(temp, hidden, jobs, no_sandbox)
        book.begin(temp)
        grading = _Grading(book, reference, launcher, temp, timeout,
                           min(NAME_COLUMNS, max(width(s.student) for s in found)))
        return _grade_all(grading, len(found), fresh, again, given_up, jobs, timeout)
    finally:
        if launcher and launcher.sandbox:
            launcher.sandbox.close()
        shutil.rmtree(temp, ignore_errors=True)


def _checking(temp, hidden, jobs, no_sandbox):
    """(Launcher, Reference) to check students with: the sandbox tried first (on Linux), then
    the kit's values computed, before any student's lines run."""
    isolated, note = sandbox.requested(no_sandbox)
    checker = supervise.copy_checker(os.path.join(temp, "checker"))
    box, notes = None, [note] if note else []
    if isolated:
        box = sandbox.Sandbox(checker, hidden, jobs)
        supervise.probe(box)
        notes = box.notes
    for line in notes:
        print(line, flush=True)
    reference = Reference.of_kit()
    return supervise.Launcher(checker, reference.salt, box), reference


def _grade_all(grading, total, fresh, again, given_up, jobs, timeout):
    """Grades the students left of the class of `total`, each list of (index, Submission) pairs:
    `fresh`, then `again`, those a grader died on, alone; `given_up`, those it died on twice,
    get their row without a check."""
    book = grading.book
    left = len(fresh) + len(again) + len(given_up)
    if book.resumed:
        print(f"Resuming the grading in {book.out}: {total - left} of {total} done; grading "
              f"the other {left}, {jobs} at a time, {_bounds(timeout)}", flush=True)
        if again:
            print(f"The grader stopped while checking {', '.join(s.student for _, s in again)}: "
                  f"each is checked again, alone, after the others", flush=True)
    else:
        print(f"Grading {total} submissions, {jobs} at a time, {_bounds(timeout)}", flush=True)
    try:
        for _, submission in given_up:  # the grader died checking them alone too: no third try
            grading.done(Graded(submission.student, None, 0.0,
                                [f"{STOPPED}, twice: not checked again"]))
        grading.run(fresh, jobs)
        for pair in again:
            grading.run([pair], 1, note=STOPPED)
    except KeyboardInterrupt:
        book.interrupted()
        print(f"Interrupted: {len(book.rows)} of {total} graded; {book.out} has those, and "
              f"the same command grades the rest.", file=sys.stderr)
        return 130
    book.close()
    records = book.records()
    lines, written, note = report.write(records, book.failures, book.out)
    print("\n" + "\n".join(report.terminal(lines)))
    if note:
        print(f"note: {note}")
    print(f"Wrote {book.out}, the class report {' and '.join(written)}"
          + (f", and {len(records)} feedback files in {book.feedback}" if book.feedback else ""))
    return 0


def bound(timeout):
    """The seconds a student's lines may run in all, over every checking process: every TODO's
    time limit once, so that checking a TODO again costs the student, not the class."""
    return len(TODOS) * timeout


def _bounds(timeout):
    """What the start line says of the time limits."""
    return (f"each TODO for at most {timeout:g} s, each student's lines for at most "
            f"{bound(timeout):g} s in all")


def _as_done(futures):
    """The futures as they are done, looked for in short slices so that Ctrl-C is seen at once."""
    pending = set(futures)
    while pending:
        done, pending = concurrent.futures.wait(pending, timeout=supervise.POLL,
                                                return_when=concurrent.futures.FIRST_COMPLETED)
        yield from done

