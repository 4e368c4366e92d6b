"""The class report: where a class struggled, per TODO, beside grades.csv.

For each TODO, how many students have it ok, wrong, in error (a timeout
counts as an error) and not filled in, how many submissions were not graded
at all, and the commonest message of its wrong and error rows: on the
terminal after a grading, and in two files an instructor opens without one,
named for grades.csv: grades.png (a bar chart) and grades.html (the chart and
the table as text, so that the slide sections' Korean shows in any browser).
Nothing in them names a student.

The chart's labels need a font with Korean in it; where none is found (on
Debian: apt-get install fonts-noto-cjk) it names each TODO by its number only,
and says so.
"""

import base64
import collections
import html
import os

from aelab.paths import write_whole
from aelab.workshop.table import pad, width
from aelab.workshop.todos import TODOS

KINDS = ("ok", "wrong", "error", "not filled")  # what a student's cell for a TODO says, in order
COLOURS = {"ok": "#4c9a5b", "wrong": "#d9822b", "error": "#c23b3b", "not filled": "#b0b0b0",
           "not graded": "#e4e4e4"}
# Fonts with Korean, the first found is used: Linux (fonts-noto-cjk, Nanum), Windows, macOS.
KOREAN_FONTS = ("Noto Sans CJK KR", "Noto Sans KR", "NanumGothic", "Malgun Gothic",
                "Apple SD Gothic Neo", "AppleGothic", "Noto Serif CJK KR")
NO_FONT = ("no font with Korean found for the chart (on Debian: apt-get install fonts-noto-cjk), "
           "so it names each TODO by its number; the HTML page's table has the titles")

Line = collections.namedtuple("Line", "todo counts not_graded message")  # a TODO's line


def kind(cell):
    """The report's kind of a grades.csv cell: a timeout is an error."""
    return "error" if cell == "timeout" else cell


def lines(records, failures):
    """A Line per TODO from the rows of grades.csv and the failures of each student
    ({student: {TODO number as str: message}}): its counts, the submissions not graded and its
    commonest failure message, with how many have it ("" where there is none)."""
    found = []
    for index, todo in enumerate(TODOS, 1):
        cells = [kind(record[index]) for record in records]
        said = collections.Counter(failures.get(record[0], {}).get(str(todo.number))
                                   for record in records if kind(record[index]) in ("wrong", "error"))
        said.pop(None, None)
        message = ""
        if said:
            text, count = said.most_common(1)[0]
            message = f"{text} ({count} of the {sum(said.values())} failing)"
        found.append(Line(todo, {k: cells.count(k) for k in KINDS}, cells.count(""), message))
    return found


def terminal(report):
    """The class table for a terminal: per TODO, ok, wrong, error and not filled, aligned by
    display width (a Korean character counts two columns)."""
    title = max(width(line.todo.title) for line in report)
    head = f"TODO  {pad('slide section', title)}" + "".join(f"  {k}" for k in KINDS)
    rows = [f"{line.todo.number:>4}  {pad(line.todo.title, title)}"
            + "".join(f"  {line.counts[k]:>{len(k)}}" for k in KINDS) for line in report]
    graded = sum(report[0].counts.values()) if report else 0
    return [head, *rows, f"({graded} graded; wrong and error are answers that did not match or "
                         f"did not run, not filled are blanks)"]


def korean_font():
    """The name of a font with Korean that matplotlib knows, or None."""
    from matplotlib import font_manager
    known = {font.name for font in font_manager.fontManager.ttflist}
    return next((name for name in KOREAN_FONTS if name in known), None)


def chart(report, path):
    """Draws the report as stacked bars, a TODO per bar, into the PNG at path; returns the
    note to print when no Korean font was found, else None."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    font = korean_font()
    figure = Figure(figsize=(8, 0.45 * len(report) + 1.6), layout="constrained")
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    names = [f"TODO {line.todo.number}" + (f"  {line.todo.title}" if font else "")
             for line in report]
    left = [0] * len(report)
    for what in (*KINDS, "not graded"):
        values = [line.not_graded if what == "not graded" else line.counts[what]
                  for line in report]
        ax.barh(names, values, left=left, color=COLOURS[what], label=what)
        left = [a + b for a, b in zip(left, values)]
    ax.invert_yaxis()
    ax.set_xlabel("students")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(ncols=5, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False, fontsize=8)
    if font:
        for label in ax.get_yticklabels():
            label.set_fontfamily(font)
    figure.savefig(path, dpi=100)
    return None if font else NO_FONT


def page(report, png, source):
    """The HTML page of the report: the chart (png: its bytes, inlined) and the table as text."""
    heads = "".join(f"<th>{k}</th>" for k in (*KINDS, "not graded"))
    rows = "".join(
        f"<tr><td>{line.todo.number}</td><td class=t>{html.escape(line.todo.title)}</td>"
        + "".join(f"<td>{line.counts[k]}</td>" for k in KINDS) + f"<td>{line.not_graded}</td>"
        + f"<td class=t>{html.escape(line.message)}</td></tr>" for line in report)
    image = base64.b64encode(png).decode("ascii")
    return f"""<!DOCTYPE html>
<html lang="ko"><head><meta charset="utf-8"><title>Class report: {html.escape(source)}</title>
<style>body{{font-family:sans-serif;margin:2em}} table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}} .t{{text-align:left}}</style>
</head><body>
<h1>Class report / 채점 요약</h1>
<p>From {html.escape(source)}: for each TODO, how many students have it ok, wrong (an answer that
does not match), error (lines that did not run, or ran past the time limit), not filled (a blank),
and how many submissions were not graded at all; with the commonest message of its wrong and
error rows.</p>
<img src="data:image/png;base64,{image}" alt="the counts as bars">
<table><thead><tr><th>TODO</th><th class=t>slide section</th>{heads}
<th class=t>commonest failure</th></tr></thead><tbody>{rows}</tbody></table>
</body></html>
"""


def write(records, failures, out):
    """Writes the report beside grades.csv (out): out's name with .png and .html. Returns
    (the report's lines, the paths written, a note to print or None)."""
    report = lines(records, failures)
    stem = os.path.splitext(out)[0]
    png = stem + ".png"
    note = chart(report, png)
    with open(png, "rb") as f:
        image = f.read()
    write_whole(stem + ".html", page(report, image, os.path.basename(out)))
    return report, [png, stem + ".html"], note
