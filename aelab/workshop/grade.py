"""Grading a class: each student's handout, as a folder or a zip, checked by the kit's checker.

    python -m aelab.workshop grade SUBMISSIONS [--out grades.csv] [--feedback DIR] [--jobs N] [--timeout S]

SUBMISSIONS holds one entry per student, a folder or a .zip, named for the
student. Each is copied (a zip: unpacked, after every entry was found safe)
into a temporary folder and checked there by this kit's checker against
this kit's reference, several students at a time; what the student's folder
holds of the checker itself is neither run nor read for grading. Prints a
line per student as each is done, then how many have each TODO ok; writes
grades.csv (UTF-8 with a byte-order mark, for Excel) and, with --feedback,
each student's table to hand back.
"""

import collections
import concurrent.futures
import csv
import os
import re
import shutil
import stat
import sys
import tempfile
import threading
import time
import zipfile

from aelab import LabError
from aelab.workshop import check
from aelab.workshop.source import REFERENCE_FILE, handout_files
from aelab.workshop.todos import TODOS

MAX_UNPACKED = 1 << 30  # bytes a zip may unpack to: a handout with its data and two runs is ~0.6 GB
JUNK = {"__MACOSX", ".DS_Store", "Thumbs.db", "desktop.ini", ".ipynb_checkpoints", "__pycache__"}
# What marks the top of a handout inside a submission: one of its TODO files.
MARKERS = ("autoencoder_mnist.py", "basic_autoencoder.py", "aelab/model.py")

Submission = collections.namedtuple("Submission", "student path")
Graded = collections.namedtuple("Graded", "student rows seconds notes")


class Ungradable(Exception):
    """Why a submission was not checked: the note of its row."""


def submissions(folder):
    """([Submission], [names skipped]) of a class folder, by student id."""
    found, skipped = [], []
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if name.startswith(".") or name in JUNK:
            continue
        if os.path.isdir(path):
            found.append(Submission(name, path))
        elif name.lower().endswith(".zip"):
            found.append(Submission(name[:-4], path))
        else:
            skipped.append(name)
    return found, skipped


def _parts(name):
    return [part for part in re.split(r"[\\/]", name) if part not in ("", ".")]


def unsafe(name):
    """Why a zip entry's name would unpack outside its folder, or None."""
    if name.startswith(("/", "\\")):
        return "an absolute path"
    if re.match(r"^[A-Za-z]:", name):
        return "a drive letter"
    if ".." in _parts(name):
        return "'..'"
    return None


def _root(paths):
    """The folder (as a path prefix, "" for the top) where a handout's files are, or None.

    A handout at the top, inside one folder (what Windows' "Send to >
    Compressed folder" makes) or one deeper.
    """
    tops = set()
    for path in paths:
        parts = _parts(path)
        if parts and not JUNK & set(parts):
            for depth in range(3):
                if "/".join(parts[depth:]) in MARKERS:
                    tops.add("/".join(parts[:depth]))
    return min(tops, key=lambda top: (top.count("/"), top)) if tops else None


def _wanted():
    """The handout's files that checking reads, as zip-style paths."""
    return [path.replace(os.sep, "/") for path in handout_files()] + [
        REFERENCE_FILE.replace(os.sep, "/")]


def unpack(zip_path, into):
    """Unpacks the handout in a student's zip into the folder `into`; returns where it was found.

    Raises Ungradable, having unpacked nothing, for a zip with an entry that
    would land outside its folder, a link, more than MAX_UNPACKED bytes, or no handout.
    """
    try:
        with zipfile.ZipFile(zip_path) as archive:
            entries = archive.infolist()
            for entry in entries:
                why = unsafe(entry.filename)
                if why:
                    raise Ungradable(f"unsafe zip: the entry {entry.filename!r} has {why}; "
                                     f"nothing was unpacked")
                if stat.S_ISLNK(entry.external_attr >> 16):
                    raise Ungradable(f"unsafe zip: the entry {entry.filename!r} is a link; "
                                     f"nothing was unpacked")
            if sum(entry.file_size for entry in entries) > MAX_UNPACKED:
                raise Ungradable(f"the zip unpacks to more than {MAX_UNPACKED >> 20} MB, far more "
                                 f"than a handout holds; nothing was unpacked")
            names = {"/".join(_parts(entry.filename)): entry for entry in entries
                     if not entry.is_dir()}
            top = _root(names)
            if top is None:
                raise Ungradable("not a handout: no autoencoder_mnist.py, basic_autoencoder.py or "
                                 "aelab/model.py in the zip")
            prefix = f"{top}/" if top else ""
            for path in _wanted():
                entry = names.get(prefix + path)
                if entry is not None:
                    target = os.path.join(into, *path.split("/"))
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                    with archive.open(entry) as source, open(target, "wb") as f:
                        shutil.copyfileobj(source, f)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError) as e:
        raise Ungradable(f"the zip cannot be read ({e})") from None
    return top


def copy_folder(folder, into):
    """Copies the handout in a student's folder into `into`; returns where it was found."""
    paths = []
    for here, dirs, files in os.walk(folder):
        depth = os.path.relpath(here, folder).count(os.sep) + (here != folder)
        dirs[:] = [d for d in dirs if d not in JUNK] if depth < 3 else []
        paths += [os.path.relpath(os.path.join(here, name), folder).replace(os.sep, "/")
                  for name in files]
    top = _root(paths)
    if top is None:
        raise Ungradable("not a handout: no autoencoder_mnist.py, basic_autoencoder.py or "
                         "aelab/model.py in the folder")
    for path in _wanted():
        source = os.path.join(folder, *top.split("/"), *path.split("/"))  # top "" adds nothing
        if os.path.isfile(source):
            target = os.path.join(into, *path.split("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copyfile(source, target)
    return top


def grade_one(submission, into, reference, timeout):
    """Checks one student's handout in a fresh copy at `into`; returns Graded."""
    started = time.monotonic()
    notes = []
    try:
        os.makedirs(into)
        if os.path.isdir(submission.path):
            top = copy_folder(submission.path, into)
        else:
            top = unpack(submission.path, into)
        if top:
            notes.append(f"handout found in {top}/")
        rows = check.check_folder(into, reference, TODOS, timeout)
        notes += check.notes(into, reference)
    except Ungradable as e:
        rows, notes = None, [str(e)]
    finally:
        shutil.rmtree(into, ignore_errors=True)
    for row in rows or ():
        if row.cell in ("error", "timeout"):
            notes.append(f"TODO {row.todo.number}: {row.text}")
    return Graded(submission.student, rows, time.monotonic() - started, notes)


def feedback_text(graded):
    """The table a student gets back: as `check` prints it, with the notes."""
    table = check.Table()
    lines = [f"student: {graded.student}", ""]
    if graded.rows is None:
        lines.append("not graded: " + "; ".join(graded.notes))
    else:
        lines += [table.header(), *(table.line(row) for row in graded.rows),
                  check.summary(graded.rows)]
        lines += [f"note: {note}" for note in graded.notes]
    return "\n".join(lines) + "\n"


def write_csv(path, graded):
    """grades.csv: a row per student; UTF-8 with a byte-order mark so that Excel reads the Korean."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8-sig") as f:
        writer = csv.writer(f)
        writer.writerow(["student", *(f"todo_{todo.number}" for todo in TODOS), "ok", "seconds",
                         "note"])
        for g in graded:
            cells = [row.cell for row in g.rows] if g.rows else [""] * len(TODOS)
            ok = sum(cell == "ok" for cell in cells)
            writer.writerow([g.student, *cells, ok, f"{g.seconds:.1f}", "; ".join(g.notes)])


def grade(folder, out="grades.csv", feedback=None, jobs=None, timeout=check.DEFAULT_TIMEOUT):
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
    width = max(len(s.student) for s in found)
    reference, printing, graded = check.Reference(), threading.Lock(), {}
    temp = tempfile.mkdtemp(prefix="aelab-grade-")
    print(f"Grading {len(found)} submissions, {jobs} at a time, each TODO for at most "
          f"{timeout:g} s", flush=True)
    try:
        with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
            futures = {pool.submit(grade_one, s, os.path.join(temp, f"s{i:04d}"), reference,
                                   timeout): s for i, s in enumerate(found)}
            for future in _as_done(futures):
                g = future.result()
                graded[g.student] = g
                with printing:
                    said = (f"{sum(r.cell == 'ok' for r in g.rows)} of {len(TODOS)} ok"
                            if g.rows else f"not graded: {g.notes[0]}")
                    print(f"{g.student:<{width}}  {said}  {g.seconds:.1f} s", flush=True)
    except KeyboardInterrupt:
        check.stop_children()
        print(f"Interrupted: {len(graded)} of {len(found)} graded; {out} has those.",
              file=sys.stderr)
        write_csv(out, [graded[s.student] for s in found if s.student in graded])
        return 130
    finally:
        reference.close()
        shutil.rmtree(temp, ignore_errors=True)
    in_order = [graded[s.student] for s in found]
    write_csv(out, in_order)
    if feedback:
        os.makedirs(feedback, exist_ok=True)
        for g in in_order:
            with open(os.path.join(feedback, f"{g.student}.txt"), "w", encoding="utf-8-sig") as f:
                f.write(feedback_text(g))
    print_class_table(in_order)
    print(f"Wrote {out}" + (f" and {len(in_order)} feedback files in {feedback}" if feedback else ""))
    return 0


def _as_done(futures):
    """The futures as they are done, looked for in short slices so that Ctrl-C is seen at once."""
    pending = set(futures)
    while pending:
        done, pending = concurrent.futures.wait(pending, timeout=check.POLL,
                                                return_when=concurrent.futures.FIRST_COMPLETED)
        yield from done


def print_class_table(graded):
    """For each TODO, how many of the graded students have it ok."""
    checked = [g for g in graded if g.rows]
    table = check.Table()
    print(f"\nTODO  {check._cell('slide section', table.title_width)}  ok")
    for i, todo in enumerate(TODOS):
        ok = sum(g.rows[i].cell == "ok" for g in checked)
        print(f"{todo.number:>4}  {check._cell(todo.title, table.title_width)}  "
              f"{ok} of {len(checked)}")
