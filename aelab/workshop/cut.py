"""Cutting the handout's files: each TODO's lines replaced by a stub, or kept between marks.

The regions declared in aelab/workshop/todos.py are found in this kit's
current sources every time: each becomes a marked stub that stops the
program with one line until it is filled in, or (the solution, and what the
reference values are computed from) the kit's own lines between the marks.
"""

import ast
import os

from aelab import LabError
from aelab.workshop.source import KIT, handout_files, marked, parse
from aelab.workshop.todos import TODOS


def _assigned(node):
    """The names a statement assigns (targets of = and +=)."""
    targets = getattr(node, "targets", None) or [getattr(node, "target", None)]
    return {n.id for t in targets if t is not None for n in ast.walk(t) if isinstance(n, ast.Name)}


def _starts(region, index, node):
    if region.first is None:
        return index == 0
    if isinstance(region.first, int):
        return index == region.first
    return region.first in _assigned(node)


def span(tree, region):
    """(first line, last line, indent) of a region's statements in a parsed kit source."""
    functions = [n for n in ast.walk(tree)
                 if isinstance(n, ast.FunctionDef) and n.name == region.function]
    for function in functions[:1]:
        blocks = [function.body] + [getattr(n, field) for n in ast.walk(function)
                                    if n is not function and isinstance(n, ast.stmt)
                                    for field in ("body", "orelse") if getattr(n, field, None)]
        for block in blocks:
            if block is function.body and isinstance(block[0], ast.Expr) and isinstance(
                    block[0].value, ast.Constant):
                block = block[1:]  # the docstring stays
            for index, node in enumerate(block):
                if _starts(region, index, node):
                    last = block[-1] if region.count is None else block[index + region.count - 1]
                    return node.lineno, last.end_lineno, node.col_offset
    raise LabError(f"workshop: the kit's {region.file} has no lines for {region}; "
                   f"the TODOS in aelab/workshop/todos.py must follow the code")


def cut(path, text, solution):
    """The kit file `text` with its TODO regions marked: stubs, or the kit's lines (solution)."""
    tree = parse(text)
    lines = text.splitlines()
    spans = [(todo, region) + span(tree, region)
             for todo in TODOS for region in todo.regions if region.file == path]
    for todo, region, first, last, indent in sorted(spans, key=lambda s: -s[2]):
        kept = lines[first - 1:last] if solution else None
        lines[first - 1:last] = marked(todo, region, " " * indent, kept)
    return "\n".join(lines) + "\n"


def kit_texts():
    """{path: text} of the files a handout holds, as the kit has them."""
    texts = {}
    for path in handout_files():
        with open(os.path.join(KIT, path), encoding="utf-8") as f:
            texts[path] = f.read()
    return texts


def answers(texts):
    """The solution's texts: each file with a TODO region marked around the kit's own lines."""
    return {p: cut(p, t, True) if any(r.file == p for todo in TODOS for r in todo.regions)
            else t for p, t in texts.items()}
