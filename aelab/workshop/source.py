"""Reading a handout's files as Python reads them, and the TODO marks: written and read here.

A blank is a region between a mark `# TODO n: ...` (with the hints below it)
and a mark `# TODO n 끝 (end of TODO n)`, holding the stub until it is filled
in: one line that stops the program, saying which TODO. `marked` writes them
(cut.py, making a handout), `marks` finds them, `stub` is the one stub line.

TensorFlow-free: the checker's parent process and the grader read handouts
through this module, and run nothing a student wrote.
"""

import ast
import collections
import io
import os
import re
import textwrap
import threading
import tokenize

KIT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPTS = ("basic_autoencoder.py", "autoencoder_mnist.py", "denoising_autoencoder_mnist.py",
           "ae_vs_pca.py", "dn_ae_test.py", "conv_autoencoder_mnist.py", "sparse_autoencoder_mnist.py",
           "variational_autoencoder_mnist.py", "anomaly_detection.py")
REFERENCE_FILE = os.path.join("aelab", "workshop_reference.json")
WORKSHOP = os.path.join("aelab", "workshop")

# A blank: lines of `function` in `file`, from the statement that assigns `first`
# (a name), or the body's statement number `first` after its docstring, for
# `count` statements (None: to the end of that block).
Region = collections.namedtuple("Region", "file function first count")
# A TODO: its number, the slide section it follows, hints, regions, the observer that runs its
# lines on fixed inputs, and the part of the lab it belongs to, whose notebook checks it (one of
# notebooks.PARTS) (aelab/workshop/todos.py).
Todo = collections.namedtuple("Todo", "number title hint_ko hint_en regions observer part")

# A TODO's number has at most 9 digits: a mark with more is no mark (int() refuses 4300 digits).
_START = re.compile(r"^(\s*)# TODO (\d{1,9}): ")
_END = re.compile(r"^\s*# TODO (\d{1,9}) ")  # "# TODO n 끝 (end of TODO n)": read in any encoding
# CPython 3.11 builds an ast.parse tree with a recursion count shared by every thread, so two
# grading threads parsing at once can fail with "SystemError: AST constructor recursion depth
# mismatch" (python/cpython#106905), and a student with it: one parse at a time.
_PARSING = threading.Lock()


def parse(source):
    """ast.parse(source), one thread at a time (see _PARSING)."""
    with _PARSING:
        return ast.parse(source)


def stub(todo, region):
    """The line a blank holds until it is filled in: it stops the program, naming the TODO."""
    return (f'raise SystemExit("TODO {todo.number} ({todo.title}) is not filled in yet: '
            f'{region.file.replace(os.sep, "/")}, {region.function}()")')


def marked(todo, region, pad, lines=None):
    """A region between its marks (the hints after the first), holding `lines`, or the stub
    where lines is None; pad: the region's indent."""
    where = f"{region.file.replace(os.sep, '/')}, {region.function}()"
    head = [f"{pad}# TODO {todo.number}: {todo.title} ({where})",
            f"{pad}# 힌트: {todo.hint_ko}", f"{pad}# Hint: {todo.hint_en}"]
    body = lines if lines is not None else [pad + stub(todo, region)]
    return head + body + [f"{pad}# TODO {todo.number} 끝 (end of TODO {todo.number})"]


class Problem(Exception):
    """What is wrong with a TODO's lines, in one line for the table."""


def files_of(todo):
    """The files a TODO's regions are in, in order, each once."""
    return list(dict.fromkeys(region.file for region in todo.regions))


def handout_files():
    """The kit files a handout holds, relative to the kit: the lab scripts and aelab/."""
    found = []
    for folder in ("aelab", WORKSHOP):
        found += sorted(os.path.join(folder, name) for name in os.listdir(os.path.join(KIT, folder))
                        if name.endswith(".py"))
    return list(SCRIPTS) + found


def decode_source(data, path, strict=True):
    """The text of Python source bytes as Python reads them; Problem where it cannot.

    Python honours a byte-order mark and a coding line, and reads UTF-8
    otherwise. It runs a script only if all of it is valid in that encoding;
    it imports a module whose bytes are invalid only where it passes over them
    (in comments), and so does this, for files not in SCRIPTS, by compiling
    them: only where strict (a checking process; the grader compiles nothing a
    student wrote, and reads such a module with its invalid bytes replaced).
    """
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as e:  # a coding line naming no encoding, or a first line not UTF-8
        if "unknown encoding" in str(e):
            raise Problem(f"{path}: {e}; save it as UTF-8 and check again") from None
        encoding = "utf-8"
    try:
        return data.decode(encoding)  # "utf-8-sig" where there is a byte-order mark: it goes
    except UnicodeDecodeError:
        pass
    if os.path.basename(path) in SCRIPTS:
        raise Problem(f"{path} is not saved as UTF-8, so Python will not run it: save it as "
                      f"UTF-8 and check again")
    try:
        if strict:
            compile(data, path, "exec", dont_inherit=True)
    except SyntaxError as e:
        if "unicode error" in str(e) or "codec can't decode" in str(e):
            raise Problem(f"{path} is not saved as UTF-8: save it as UTF-8 and check again") from None
    return data.decode(encoding, errors="replace")  # only comments hold what is not UTF-8


def marks(text, number):
    """(line number of the first inner line, inner lines) of each TODO `number` in a text."""
    lines, found, start = text.splitlines(), [], None
    for index, line in enumerate(lines, 1):
        start_mark, end_mark = _START.match(line), _END.match(line)
        if start_mark and int(start_mark.group(2)) == number:
            start = index
        elif end_mark and int(end_mark.group(1)) == number and start:
            found.append((start + 1, lines[start:index - 1]))
            start = None
    return found


class Handout:
    """The marked TODO regions of a handout folder, its files read as Python reads them.

    texts: {path: text} to read instead of files (the kit's answers, cut in memory); strict:
    read as decode_source does where strict (in a checking process, never in the grader's).
    """

    def __init__(self, folder, todos, texts=None, strict=False):
        self.folder, self.todos, self._texts = folder, todos, dict(texts or {})
        self.strict = strict

    def read(self, path):
        """The text of path in the handout, or None where it is missing; Problem where unreadable."""
        if path not in self._texts:
            full = os.path.join(self.folder or "", path)
            if self.folder is None or not os.path.isfile(full):
                return None
            with open(full, "rb") as f:
                self._texts[path] = decode_source(f.read(), path, self.strict)
        return self._texts[path]

    def regions(self, todo):
        """Each of the todo's regions: (path, line number of its first inner line, inner lines)."""
        found = []
        for path in files_of(todo):
            text = self.read(path)
            if text is None:
                raise Problem(f"{path} is missing")
            found += [(path, start, inner) for start, inner in marks(text, todo.number)]
        if len(found) != len(todo.regions):
            raise Problem(f"the marks of TODO {todo.number} are broken: keep each '# TODO "
                          f"{todo.number}: ...' line and its '# TODO {todo.number} 끝' line")
        return found

    def filled(self, todo):
        """True when every region holds a line of code and none is the stub."""
        return all(any(line.strip() and not line.strip().startswith("#") for line in lines)
                   and not any(line.strip() == stub(todo, region) for line in lines)
                   for region, (_, _, lines) in zip(todo.regions, self.regions(todo)))

    def code(self, todo, index):
        """(path, source) of the todo's region `index` alone, at its own line numbers."""
        path, start, lines = self.regions(todo)[index]
        return path, "\n" * (start - 1) + textwrap.dedent("\n".join(lines))

    def module_source(self, todo, path):
        """The text of module `path` with the todo's lines in place and every other TODO a stub."""
        lines = self.read(path).splitlines()
        for other in self.todos:
            if other.number == todo.number:
                continue
            regions = [region for region in other.regions if region.file == path]
            for region, (start, inner) in zip(regions, marks("\n".join(lines), other.number)):
                indent = re.match(r"\s*", lines[start - 2]).group(0)
                filler = indent + stub(other, region)
                lines[start - 1:start - 1 + len(inner)] = [filler] + [""] * (len(inner) - 1)
        return "\n".join(lines) + "\n"
