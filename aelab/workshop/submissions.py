"""What students hand in: a folder or a zip per student, copied for checking, following no link.

Only the handout's own files are copied (a zip: unpacked, after every entry
was found safe). What is not the student's work is skipped unread: a virtual
environment (a folder holding pyvenv.cfg or conda-meta) anywhere, caches,
run folders and the data (`not_work`); nothing in them is looked at, so
neither their links nor their size count, and one neutral note names a
virtual environment (the rest is what a handout holds as it is used).
Elsewhere nothing is followed: a link in a folder or a zip is
refused, as are special files (pipes, devices), zip entries that would land
outside their folder and more than MAX_UNPACKED bytes; a student's folder is
opened once, and each file in it through the folders above it from that
handle, none of them a link (O_NOFOLLOW where the system has it), so that a
link put there after the folder was looked at is refused too. What the
grader reads is bounded: MAX_FILE bytes a file, MAX_ENTRIES entries (a zip's
told by its last record, before its list is read), MAX_DEPTH folders deep.
A refusal is the student's row: `Ungradable` with its note. A TODO file not
where the handout keeps it (a flattened upload: `model.py` at the top) is
taken by its name when only one file has that name. Names are data: each
submission gets an id of its own, printable (student_id).
"""

import collections
import errno
import os
import posixpath
import re
import stat
import zipfile

from aelab.input_data import FILES as DATA_FILES
from aelab.workshop.source import REFERENCE_FILE, files_of, handout_files
from aelab.workshop.todos import TODOS

MAX_UNPACKED = 1 << 30  # bytes a zip may unpack to: a handout with its data and two runs is ~0.6 GB
MAX_FILE = 1 << 20      # bytes of one file copied for checking: a handout's largest is ~25 KB
MAX_ENTRIES = 1 << 16   # entries of a zip or a folder: a handout with its data and runs has a few hundred
MAX_DEPTH = 32          # folders inside folders: a handout's deepest is three
MAX_LISTING = 16 << 20  # bytes of a zip's list of entries (its central directory), read whole
JUNK = {"__MACOSX", ".DS_Store", "Thumbs.db", "desktop.ini", ".ipynb_checkpoints", "__pycache__"}
# What marks the top of a handout inside a submission: one of its TODO files.
MARKERS = ("autoencoder_mnist.py", "basic_autoencoder.py", "aelab/model.py")
# Folders that are not the student's work, skipped unread and unsaid: caches and tools' own.
CACHES = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache", ".mypy_cache", ".ruff_cache",
          ".git", "__MACOSX"}
VENV_MARKS = ("pyvenv.cfg", "conda-meta")  # what a folder holds that is a virtual environment
VENV = "a virtual environment"
HAND_IN = "hand in the handout folder as `python -m aelab.workshop pack` zips it"

Submission = collections.namedtuple("Submission", "student path zipped")  # zipped: a .zip, else a folder


class Ungradable(Exception):
    """Why a submission was not checked: the note of its row."""


def submissions(folder):
    """([Submission], [names skipped]) of a class folder, each with its own id (student_id)."""
    found, skipped = [], []
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if name.startswith(".") or name in JUNK:
            continue
        if name.lower().endswith(".zip") and not os.path.isdir(path):
            found.append(Submission(name[:-4], path, zipped=True))
        elif os.path.isdir(path) or os.path.islink(path):  # a link is refused when it is read
            found.append(Submission(name, path, zipped=False))
        else:
            skipped.append(printable(name))
    return _one_id_each(found), skipped


def printable(text):
    """text with every character that is not printable (controls, a name's undecodable bytes)
    written as its escape: safe on a terminal and in a table."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape", "backslashreplace")
                   .decode("ascii") for c in text)


def student_id(name):
    """The id of a student whose submission is named `name` (without .zip): as the name reads,
    where it is UTF-8 or else CP949 (a Korean Windows' zip unpacked on Linux), printable."""
    data = os.fsencode(name)
    for encoding in ("utf-8", "cp949"):
        try:
            return printable(data.decode(encoding))
        except UnicodeDecodeError:
            pass
    return printable(data.decode("utf-8", "backslashreplace"))


def _one_id_each(found):
    """found, each with a student id of its own: where two have one id (a folder and a zip, or
    two names that read the same), the zip's id ends in .zip, then a second one's in " #2"..."""
    ids = [student_id(s.student) for s in found]
    shared, taken, unique = collections.Counter(ids), set(), []
    for submission, student in zip(found, ids):
        name = student + ".zip" if shared[student] > 1 and submission.zipped else student
        given, number = name, 2
        while given in taken:
            given, number = f"{name} #{number}", number + 1
        taken.add(given)
        unique.append(submission._replace(student=given))
    return unique


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


def _not_a_handout(what):
    return Ungradable(f"not a handout: no autoencoder_mnist.py, basic_autoencoder.py or "
                      f"aelab/model.py in the {what}; {HAND_IN}")


def not_work(name, inside):
    """Why the folder `name`, holding the names `inside`, is not the student's work (a few words
    for the note; "" for a cache, which the note leaves out), or None where it may be: a folder
    with a Python file in it may hold the handout (a venv made in it, the data put beside it)."""
    if name in CACHES:
        return ""
    if any(inner.endswith(".py") for inner in inside):
        return None
    if any(mark in inside for mark in VENV_MARKS):
        return VENV
    if name.endswith("_logs") or "checkpoint" in inside:
        return "a run folder"
    if any(data in inside or data[:-len(".gz")] in inside for data in DATA_FILES):
        return "the data"
    return None


def _left_out_in_zip(names):
    """{folder: why} of the outermost folders of a zip's entry names (as "/" paths) that are not
    the student's work (not_work)."""
    inside = collections.defaultdict(set)
    for name in names:
        parts = name.split("/")
        for depth in range(1, len(parts)):
            inside["/".join(parts[:depth])].add(parts[depth])
    left = {}
    for folder in sorted(inside, key=lambda folder: folder.count("/")):
        if not any(folder.startswith(f"{out}/") for out in left):
            why = not_work(posixpath.basename(folder), inside[folder])
            if why is not None:
                left[folder] = why
    return left


def venv_note(left):
    """The one neutral note of a grading that skipped virtual environments ({folder: why}), or
    None: caches, run folders and the data are what a handout holds as it is used, and go unsaid."""
    venvs = [f"{folder}/" for folder, why in sorted(left.items()) if why == VENV]
    if not venvs:
        return None
    return f"not read: {', '.join(venvs)} (a virtual environment; a hand-in needs none)"


def place(paths, what):
    """({handout path: path in the submission}, notes) of the files a submission holds ("/"
    paths, what was skipped left out): where the handout's are, and TODO files found by name.

    Raises Ungradable, saying how to hand in, where no TODO file is found at all.
    """
    top = _root(paths)
    prefix = f"{top}/" if top else ""
    found = {path: prefix + path for path in _wanted() if prefix + path in paths}
    by_name, notes = collections.defaultdict(list), []
    for path in paths:
        by_name[posixpath.basename(path)].append(path)
    taken, todo_files = [], list(dict.fromkeys(
        file.replace(os.sep, "/") for todo in TODOS for file in files_of(todo)))
    for path in todo_files:
        if path not in found and len(by_name[posixpath.basename(path)]) == 1:
            found[path] = by_name[posixpath.basename(path)][0]
            taken.append(f"{found[path]} as {path}")
    if not any(path in found for path in todo_files):
        raise _not_a_handout(what)
    if taken:
        notes.append(f"found by name, not where the handout keeps them: {', '.join(taken)}")
    return found, notes


def _copy(source, into, path):
    """Copies an open file of the handout to into/path, refusing one far larger than a handout's."""
    data = source.read(MAX_FILE + 1)
    if len(data) > MAX_FILE:
        raise Ungradable(f"{path} is over {MAX_FILE >> 20} MB, far more than a handout's file; "
                         f"nothing was checked")
    target = os.path.join(into, *path.split("/"))
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "wb") as f:
        f.write(data)


def unpack(zip_path, into):
    """Unpacks the handout in a student's zip into the folder `into`; returns the notes to say.

    What is not the student's work is skipped unread (not_work). Raises
    Ungradable, having unpacked nothing, for a zip that is a link, with more
    than MAX_ENTRIES entries, an entry that would land outside its folder, a
    link, more than MAX_UNPACKED bytes, or no handout.
    """
    try:
        with open_no_follow(*os.path.split(os.path.abspath(zip_path))) as stream:
            _bounded_listing(stream)
            with zipfile.ZipFile(stream) as archive:
                return _unpack_entries(archive, into)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise Ungradable("unsafe zip: it is a link; nothing was unpacked") from None
        raise Ungradable(f"the zip cannot be read ({e})") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError) as e:
        raise Ungradable(f"the zip cannot be read ({e})") from None


def _bounded_listing(stream):
    """Ungradable for a zip whose list of entries is longer than MAX_ENTRIES or MAX_LISTING: told
    by its last record, before zipfile reads the list whole."""
    end = zipfile._EndRecData(stream)  # the end record, from the zip64 one where there is one
    if end is None:
        return  # not a zip: zipfile says so
    count, size = end[zipfile._ECD_ENTRIES_TOTAL], end[zipfile._ECD_SIZE]
    if count > MAX_ENTRIES or size > MAX_LISTING:
        raise Ungradable(f"the zip holds {count} entries in a list of {size >> 20} MB, far more "
                         f"than a handout's few hundred (at most {MAX_ENTRIES}); nothing was "
                         f"unpacked")


def _unpack_entries(archive, into):
    """Unpacks the handout's files of an open zip whose every entry is safe, skipping what is not
    the student's work (not_work); returns the notes to say."""
    for entry in archive.infolist():
        why = unsafe(entry.filename)
        if why:
            raise Ungradable(f"unsafe zip: the entry {entry.filename!r} has {why}; "
                             f"nothing was unpacked")
    named = {"/".join(_parts(entry.filename)): entry for entry in archive.infolist()}
    left = _left_out_in_zip(named)
    entries = {name: entry for name, entry in named.items()
               if not any(name.startswith(f"{folder}/") for folder in left)}
    for entry in entries.values():
        if stat.S_ISLNK(entry.external_attr >> 16):
            raise Ungradable(f"unsafe zip: the entry {entry.filename!r} is a link; "
                             f"nothing was unpacked")
    if sum(entry.file_size for entry in entries.values()) > MAX_UNPACKED:
        raise Ungradable(f"the zip unpacks to more than {MAX_UNPACKED >> 20} MB, far more "
                         f"than a handout holds; nothing was unpacked; {HAND_IN}")
    found, notes = place({name for name, entry in entries.items() if not entry.is_dir()}, "zip")
    for path, name in found.items():
        with archive.open(entries[name]) as source:
            _copy(source, into, path)
    return [note for note in (venv_note(left), *notes) if note]


def copy_folder(folder, into):
    """Copies the handout in a student's folder into `into`; returns the notes to say.

    The folder is opened once, and everything in it is reached through that
    handle, following no link (on Windows, through its path, each step looked
    at). What is not the student's work is skipped unread (not_work). Raises
    Ungradable, having checked nothing, for a folder that is or holds a link,
    or anything but folders and files, anywhere else, more than MAX_ENTRIES
    entries, or no handout.
    """
    if _is_link(os.lstat(folder)):
        raise Ungradable("unsafe folder: it is a link; nothing was checked")
    try:
        handle = _open_folder(folder)
    except OSError as e:
        raise Ungradable(f"unsafe folder: it changed as it was opened ({e.strerror}); nothing "
                         f"was checked") from None
    try:
        return _copy_from(handle, into)
    finally:
        _close_folder(handle)


def _copy_from(handle, into):
    """Copies the handout in the open folder `handle` into `into`; returns the notes to say."""
    try:
        paths, left = _files(handle)
    except OSError as e:
        raise Ungradable(f"the folder cannot be read ({e.strerror})") from None
    found, notes = place(paths, "folder")
    for path, name in found.items():
        try:
            with open_no_follow(handle, name) as source:
                _copy(source, into, path)
        except OSError as e:
            raise Ungradable(f"unsafe folder: {name!r} changed while it was copied "
                             f"({e.strerror}); nothing was checked") from None
    return [note for note in (venv_note(left), *notes) if note]


def _is_link(info):
    """True for a symbolic link, and on Windows for any reparse point (a junction, say)."""
    reparse = getattr(stat, "FILE_ATTRIBUTE_REPARSE_POINT", 0)
    return stat.S_ISLNK(info.st_mode) or bool(getattr(info, "st_file_attributes", 0) & reparse)


def _files(handle):
    """(the files in an open student's folder, as "/" paths; {folder: why} of those not_work, not
    read past their listing); Ungradable for a link or anything but a folder or a file anywhere
    else in it, or for more than MAX_ENTRIES entries listed in all."""
    found, left, seen = set(), {}, [0]

    def scan(folder, here):
        entries = []
        with os.scandir(folder) as listing:
            for entry in listing:
                seen[0] += 1
                if seen[0] > MAX_ENTRIES:
                    raise Ungradable(f"the folder holds more than {MAX_ENTRIES} entries, far more "
                                     f"than a handout's few hundred; nothing was checked")
                entries.append(entry)
        why = not_work(posixpath.basename(here), {entry.name for entry in entries}) if here else None
        if why is not None:
            left[here] = why
            return
        for entry in entries:
            path = f"{here}/{entry.name}" if here else entry.name
            info = entry.stat(follow_symlinks=False)
            if _is_link(info):
                raise Ungradable(f"unsafe folder: {path!r} is a link; nothing was checked")
            if stat.S_ISDIR(info.st_mode):
                if path.count("/") >= MAX_DEPTH:
                    raise Ungradable(f"the folder holds folders more than {MAX_DEPTH} deep, far "
                                     f"more than a handout's three; nothing was checked")
                inner = _open_folder(entry.name, folder)
                try:
                    scan(inner, path)
                finally:
                    _close_folder(inner)
            elif stat.S_ISREG(info.st_mode):
                found.add(path)
            else:
                raise Ungradable(f"unsafe folder: {path!r} is neither a file nor a folder; "
                                 f"nothing was checked")

    scan(handle, "")
    return found, left


_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)


_BY_FD = os.open in os.supports_dir_fd and os.scandir in os.supports_fd  # not on Windows


def _open_folder(name, parent=None):
    """A folder (name, in the open folder `parent` if given) opened without following a link:
    its descriptor, where the system opens files through one; else its path (Windows), looked at."""
    if _BY_FD:
        return os.open(name, os.O_RDONLY | os.O_DIRECTORY | _NO_FOLLOW, dir_fd=parent)
    path = os.path.join(parent, name) if parent else name
    if _is_link(os.lstat(path)):
        raise OSError(errno.ELOOP, "a link", path)
    return path


def _close_folder(handle):
    if _BY_FD:
        os.close(handle)


def open_no_follow(folder, path):
    """The file folder/path ("/" separated) open for reading in binary, reached through no link:
    OSError (ELOOP for a link) otherwise, and for anything but a file. folder: a path, or an open
    folder (_open_folder)."""
    parts = path.split("/")
    if _BY_FD:  # each folder opened through the one above it
        fd = os.dup(folder) if isinstance(folder, int) else os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for part in parts[:-1]:
                inner = os.open(part, os.O_RDONLY | os.O_DIRECTORY | _NO_FOLLOW, dir_fd=fd)
                os.close(fd)
                fd = inner
            file = os.open(parts[-1], os.O_RDONLY | os.O_NONBLOCK | _NO_FOLLOW, dir_fd=fd)
        finally:
            os.close(fd)
    else:  # Windows: each step looked at, and the file opened is the one looked at
        here = folder
        for part in parts:
            here = os.path.join(here, part)
            if _is_link(os.lstat(here)):
                raise OSError(errno.ELOOP, "a link", here)
        seen = os.lstat(here)
        file = os.open(here, os.O_RDONLY | _NO_FOLLOW)
        opened = os.fstat(file)
        if (opened.st_dev, opened.st_ino) != (seen.st_dev, seen.st_ino):
            os.close(file)
            raise OSError(errno.ELOOP, "changed while it was opened", here)
    if not stat.S_ISREG(os.fstat(file).st_mode):
        os.close(file)
        raise OSError(errno.EINVAL, "not a file", path)
    return os.fdopen(file, "rb")
