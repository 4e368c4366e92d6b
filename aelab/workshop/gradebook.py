"""grades.csv and its journal: a row as each student is done, and what a rerun resumes.

grades.csv (UTF-8 with a byte-order mark, so that Excel reads the Korean) is
written whole after each student, each cell that a spreadsheet would take for
a formula (starting with = + - @, a tab or a carriage return) behind a ' as
OWASP advises ("CSV injection"), to a file beside it renamed over it, so
that a crash never leaves half a table; each feedback file likewise. While a
grading runs, its journal beside it (grades.csv.progress) names the class,
the feedback folder and the students being checked. Running the same command
again (the same SUBMISSIONS and --feedback, into the same --out) after the
grader was stopped or killed finds the journal and grades only the students
not in grades.csv yet. A student being checked when a grader died is checked
again, alone, after the others, with STOPPED in their note; if a grader dies
again while checking them, the next run gives them a row with that note and
no further check, so that a submission that kills the grader cannot hold up
the class. Ctrl-C is the instructor stopping: the students being checked
then are simply not done. A grading that ends removes its journal; a run
that finds none starts over.
"""

import csv
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import threading

from aelab import LabError
from aelab.paths import write_whole
from aelab.workshop.todos import TODOS

HEADER = ["student", *(f"todo_{todo.number}" for todo in TODOS), "ok", "seconds", "note"]
JOURNAL = ".progress"
STOPPED = "the grader stopped while checking this submission"
EXCEL = "utf-8-sig"  # grades.csv and the feedback: UTF-8 that Excel and Notepad know as such
TEMP_PREFIX = "aelab-grade-"  # a grading's private folder, in the system's temporary folder
FORMULA = ("=", "+", "-", "@", "\t", "\r")  # what starts a formula in a spreadsheet's cell
NAME_BYTES = 200  # of a feedback file's name: a system's 255, less what write_whole adds
RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"{name}{i}" for name in ("COM", "LPT") for i in range(10))}


def record(graded):
    """A student's row of grades.csv, from what grading gave (student, rows, seconds, notes)."""
    cells = [row.cell for row in graded.rows] if graded.rows else [""] * len(TODOS)
    return [graded.student, *cells, str(sum(cell == "ok" for cell in cells)),
            f"{graded.seconds:.1f}", "; ".join(graded.notes)]


def cell(text):
    """A cell of grades.csv as written: behind a ' where it would start a formula (or starts
    with a ', so that `uncell` gives it back)."""
    return "'" + text if text.startswith((*FORMULA, "'")) else text


def uncell(text):
    """What a cell of grades.csv holds, as cell() was given it."""
    return text[1:] if text.startswith("'") and text[1:].startswith((*FORMULA, "'")) else text


def file_name(student):
    """The name of a student's feedback file: their id, where it makes a safe file name on every
    system; else the id with what is not safe replaced, shortened, and a hash of the whole."""
    safe = re.sub(r'[\x00-\x1f\x7f<>:"/\\|?*]', "_", student).rstrip(" .")
    if (safe == student and student and len(student.encode()) <= NAME_BYTES
            and student.split(".")[0].upper() not in RESERVED):
        return student + ".txt"
    short = safe.encode()[:NAME_BYTES - 20].decode("utf-8", "ignore")
    return f"{short}~{hashlib.sha256(student.encode()).hexdigest()[:12]}.txt"


class Gradebook:
    """The grades of one grading into `out`: the rows done so far and the journal that resumes it."""

    def __init__(self, out, submissions, feedback=None):
        self.out, self.journal, self.feedback = out, out + JOURNAL, feedback
        self._class = {"submissions": os.path.abspath(submissions),
                       "feedback": os.path.abspath(feedback) if feedback else None}
        self.rows, self.stops, self._checking = {}, {}, set()
        self.failures = {}  # {student: {TODO number as str: the message of its wrong/error row}}
        self._temp, self._lock = None, threading.Lock()
        self.resumed = os.path.isfile(self.journal)
        if self.resumed:
            self._resume()

    def _resume(self):
        """Takes up the grading the journal tells of: its rows, and who was being checked."""
        try:
            with open(self.journal, encoding="utf-8") as f:
                journal = json.load(f)
            same = {key: journal[key] for key in self._class} == self._class
            stops, checking = dict(journal["stops"]), list(journal["checking"])
            self.failures = dict(journal.get("failures", {}))
        except (OSError, ValueError, KeyError, TypeError):
            raise LabError(f"{self.journal} cannot be read: delete it to grade the class again "
                           f"from the start") from None
        if not same:
            theirs = journal["submissions"] + (f" with --feedback {journal['feedback']}"
                                               if journal["feedback"] else "")
            raise LabError(f"{self.out} holds an unfinished grading of {theirs}: run that command "
                           f"again to finish it, pass another --out, or delete {self.journal} to "
                           f"start over")
        self.rows = self._read_rows()
        for student in checking:
            stops[student] = stops.get(student, 0) + 1
        self.stops = {student: n for student, n in stops.items() if student not in self.rows}
        _remove_temp(journal.get("temp"))

    def _read_rows(self):
        """{student: row} of grades.csv as a grading of this kit wrote it."""
        if not os.path.exists(self.out):
            return {}
        try:
            with open(self.out, newline="", encoding=EXCEL) as f:
                table = list(csv.reader(f))
        except (OSError, UnicodeDecodeError, csv.Error) as e:
            raise LabError(f"{self.out} cannot be read ({e}); delete {self.journal} to grade the "
                           f"class again from the start") from None
        if not table or table[0] != HEADER or any(len(row) != len(HEADER) for row in table[1:]):
            raise LabError(f"{self.out} is not a grades table of this kit's; delete "
                           f"{self.journal} to grade the class again from the start")
        return {row[0]: row for row in ([uncell(text) for text in row] for row in table[1:])}

    def begin(self, temp):
        """Starts (or takes up) the grading, whose private folder is temp: the journal says so."""
        self._temp = temp
        self._write_journal()

    def checking(self, student):
        """A student's check starts."""
        with self._lock:
            self._checking.add(student)
            self._write_journal()

    def finish(self, graded, feedback_text):
        """A student is done: their row in grades.csv, their feedback file, out of the journal."""
        with self._lock:
            self.rows[graded.student] = record(graded)
            self.failures[graded.student] = {str(row.todo.number): row.text
                                             for row in graded.rows or ()
                                             if row.cell in ("wrong", "error", "timeout")}
            try:
                if self.feedback:
                    write_whole(os.path.join(self.feedback, file_name(graded.student)),
                                feedback_text, EXCEL)
                self._write_table()
            except OSError as e:
                raise LabError(f"cannot write {e.filename or self.out} ({e.strerror}); close it "
                               f"where it is open (Excel?) and run the same command again: it "
                               f"goes on from there") from None
            self._checking.discard(graded.student)
            self.stops.pop(graded.student, None)
            self._write_journal()

    def interrupted(self):
        """Ctrl-C: the students being checked are not done, and nothing is held against them."""
        with self._lock:
            self._checking.clear()
            self._write_journal()

    def close(self):
        """The grading ended: no journal, so that the same command grades the class anew."""
        os.remove(self.journal)

    def records(self):
        """The rows of grades.csv, by student."""
        return [self.rows[student] for student in sorted(self.rows)]

    def _write_table(self):
        text = io.StringIO()
        csv.writer(text).writerows([HEADER, *([cell(text) for text in row] for row in self.records())])
        write_whole(self.out, text.getvalue(), EXCEL)

    def _write_journal(self):
        journal = dict(self._class, temp=self._temp, stops=self.stops,
                       checking=sorted(self._checking), failures=self.failures)
        write_whole(self.journal, json.dumps(journal, ensure_ascii=False, indent=1) + "\n")


def _remove_temp(folder):
    """Removes the private folder a grader that died left behind, if it is one."""
    if not isinstance(folder, str):
        return
    parent = os.path.realpath(tempfile.gettempdir())
    if (os.path.dirname(folder) == parent and os.path.basename(folder).startswith(TEMP_PREFIX)
            and os.path.isdir(folder) and not os.path.islink(folder)
            and os.lstat(folder).st_uid == getattr(os, "getuid", lambda: 0)()):
        shutil.rmtree(folder, ignore_errors=True)
