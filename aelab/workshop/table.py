"""The checker's table of rows: aligned text on a terminal, an HTML table in a Jupyter cell.

Text columns are padded by display width, a Korean character counting as two, which a
terminal's fixed-width font honours and a browser's font does not: in a notebook the rows
are an HTML table instead, redrawn as each row comes.
"""

import html
import os
import unicodedata

from aelab.workshop.source import files_of
from aelab.workshop.todos import TODOS


def width(text):
    """The columns text takes on a terminal: two for a wide (East Asian) character."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text, columns):
    """text, with spaces after it up to `columns` terminal columns."""
    return text + " " * max(0, columns - width(text))


def where(todo):
    """The files of a TODO as the table shows them, with forward slashes on every system."""
    return ", ".join(files_of(todo)).replace(os.sep, "/")


def summary(rows):
    return f"{sum(row.cell == 'ok' for row in rows)} of {len(rows)} TODOs ok"


class Table:
    """The checker's table, a row at a time: TODO, slide section, file, result."""

    def __init__(self):
        self.title_width = max(width(todo.title) for todo in TODOS)
        self.where_width = max(width(where(todo)) for todo in TODOS)

    def header(self):
        return f"TODO  {pad('slide section', self.title_width)}  {pad('file', self.where_width)}  result"

    def line(self, row):
        return (f"{row.todo.number:>4}  {pad(row.todo.title, self.title_width)}  "
                f"{pad(where(row.todo), self.where_width)}  {row.text}")

    def html(self, rows):
        """The rows so far as an HTML table, for a notebook: text columns aligned left."""
        left = ' style="text-align:left"'
        cells = "".join(
            f"<tr><td>{row.todo.number}</td><td{left}>{html.escape(row.todo.title)}</td>"
            f"<td{left}><code>{html.escape(where(row.todo))}</code></td>"
            f"<td{left}>{html.escape(row.text)}</td></tr>" for row in rows)
        return (f"<table><thead><tr><th>TODO</th><th{left}>slide section</th><th{left}>file</th>"
                f"<th{left}>result</th></tr></thead><tbody>{cells}</tbody></table>")

