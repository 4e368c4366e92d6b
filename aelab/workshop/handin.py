"""Handing in: python -m aelab.workshop pack [DIR] [--out ZIP]

Zips a student's handout folder as `grade` takes it: every file under one
top folder named for the handout folder (as Windows' "Send to > Compressed
(zipped) folder" makes it), without what is not the student's work
(submissions.not_work: the virtual environment, caches, run folders, the data)
and without links, which are never followed. The zip is written whole, beside
the folder by default: practice/ gives practice.zip.
"""

import os
import zipfile

from aelab import LabError, paths
from aelab.workshop.submissions import MARKERS, _is_link, not_work


def default_zip(folder):
    """The zip pack writes when not told: the folder's name with .zip, beside the folder."""
    real = os.path.realpath(folder)
    return os.path.join(os.path.dirname(real), os.path.basename(real) + ".zip")


def packed(folder, out):
    """([(path on disk, name in the zip)], {folder: why} left out, [links left out]) of a
    handout folder, out (the zip being written) left out too."""
    top = os.path.basename(os.path.realpath(folder))
    found, left, links = [], {}, []
    for here, dirs, files in os.walk(folder):
        inner = os.path.relpath(here, folder).replace(os.sep, "/")
        inner = "" if inner == "." else inner + "/"
        for name in sorted(dirs):
            full = os.path.join(here, name)
            if _is_link(os.lstat(full)):
                links.append(inner + name)
            else:
                why = not_work(name, set(os.listdir(full)))
                if why is None:
                    continue
                left[inner + name] = why
            dirs.remove(name)
        for name in sorted(files):
            full = os.path.join(here, name)
            if _is_link(os.lstat(full)):
                links.append(inner + name)
            elif os.path.isfile(full) and os.path.realpath(full) != os.path.realpath(out):
                found.append((full, f"{top}/{inner}{name}"))
    return found, left, links


def pack(folder=".", out=None):
    """Writes the zip to hand in; returns the exit status (0)."""
    if not any(os.path.isfile(os.path.join(folder, *marker.split("/"))) for marker in MARKERS):
        raise LabError(f"{folder} is not a handout folder (no {', '.join(MARKERS)}): run pack in "
                       f"the folder `python -m aelab.workshop make` wrote, or name it: "
                       f"python -m aelab.workshop pack DIR")
    out = out or default_zip(folder)
    found, left, links = packed(folder, out)
    part = paths.beside(out, ".part")
    with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as archive:
        for full, name in found:
            archive.write(full, name)
    os.replace(part, out)
    size = os.path.getsize(out)
    print(f"Wrote {out}: {len(found)} files, {size / 1e6:.1f} MB. Hand in this file. / 이 파일을 "
          f"제출하세요.")
    said = [f"{folder}/ ({why})" for folder, why in sorted(left.items()) if why]
    if said:
        print(f"left out, as not your work: {', '.join(said)}")
    if links:
        print(f"left out, as links (not followed): {', '.join(links)}")
    return 0
