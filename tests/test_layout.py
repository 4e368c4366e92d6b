"""The kit's layout: what imports what, where TensorFlow starts, and how big the lab's functions are."""

import ast
import glob
import os
import subprocess
import sys

import pytest

from aelab.workshop.source import SCRIPTS
from running import REPO, parse


def test_the_light_modules_import_what_they_need_and_no_tensorflow():
    """The loader, the lock and the figures start no TensorFlow, and no import replaces the
    interpreter's excepthook."""
    code = ("import sys; import aelab, aelab.input_data, aelab.lock, aelab.figures, aelab.cli, "
            "aelab.steps, aelab.record, aelab.paths, aelab.workshop.check, aelab.workshop.grade; "
            "print('tensorflow' in sys.modules, sys.excepthook is sys.__excepthook__)")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert result.stdout.split() == ["False", "True"], result.stderr


def test_aelab_has_no_import_circle():
    imports = {}
    for folder, _, files in os.walk(os.path.join(REPO, "aelab")):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                module = os.path.relpath(path, REPO)[:-3].replace(os.sep, ".").removesuffix(
                    ".__init__")
                with open(path, encoding="utf-8") as f:
                    tree = ast.parse(f.read())
                found = set()
                for node in ast.walk(tree):
                    if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("aelab"):
                        found.add(node.module)
                        found |= {f"{node.module}.{a.name}" for a in node.names}
                    elif isinstance(node, ast.Import):
                        found |= {a.name for a in node.names if a.name.startswith("aelab")}
                imports[module] = found
    imports = {m: {d for d in deps if d in imports and d != m and not m.startswith(d + ".")}
               for m, deps in imports.items()}

    def reaches(start, target, seen=()):
        return any(d == target or (d not in seen and reaches(d, target, seen + (d,)))
                   for d in imports[start])
    assert [m for m in imports if reaches(m, m)] == []


def test_no_script_imports_another_but_the_deep_driver():
    """A training script may reuse autoencoder_mnist.py's train (the denoising one does, a new
    model's may); no script imports any other."""
    scripts = {os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(REPO, "*.py"))}
    for path in sorted(glob.glob(os.path.join(REPO, "*.py")) + glob.glob(os.path.join(REPO, "bench", "*.py"))):
        name = os.path.relpath(path, REPO)
        imported = set()
        for node in ast.walk(parse(name)):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
        assert imported & scripts <= {"autoencoder_mnist"}, f"{name} imports {imported & scripts}"


def test_eager_execution_is_turned_off_in_one_place():
    """aelab/quiet_tensorflow.py, which every script imports first, and nowhere else."""
    sources = [*glob.glob(os.path.join(REPO, "*.py")), *glob.glob(os.path.join(REPO, "bench", "*.py")),
               *glob.glob(os.path.join(REPO, "aelab", "**", "*.py"), recursive=True)]
    found = []
    for path in sources:
        with open(path, encoding="utf-8") as f:
            if "disable_eager_execution()" in f.read():
                found.append(os.path.relpath(path, REPO))
    assert found == [os.path.join("aelab", "quiet_tensorflow.py")]


def test_no_library_module_initialises_the_variables_behind_a_script():
    """Only the scripts run the initializer (the observers of the workshop's checker aside)."""
    for path in sorted(glob.glob(os.path.join(REPO, "aelab", "*.py"))):
        with open(path, encoding="utf-8") as f:
            assert "global_variables_initializer" not in f.read(), path


def test_no_library_module_prints_the_slides_lines():
    for folder, _, files in os.walk(os.path.join(REPO, "aelab")):
        for name in files:
            if name.endswith(".py"):
                with open(os.path.join(folder, name), encoding="utf-8") as f:
                    text = f.read()
                assert '"Validation Loss:"' not in text and "'Validation Loss:'" not in text, name


def _depth(statements):
    """How deeply compound statements nest inside these statements."""
    deepest = 0
    for node in statements:
        bodies = [getattr(node, field, []) for field in ("body", "orelse", "finalbody")]
        bodies += [handler.body for handler in getattr(node, "handlers", [])]
        if isinstance(node, (ast.For, ast.While, ast.If, ast.With, ast.Try)):
            deepest = max(deepest, 1 + max(_depth(b) for b in bodies))
    return deepest


@pytest.mark.parametrize("script", SCRIPTS)
def test_lab_script_functions_are_short_and_shallow(script):
    """At most 60 lines and 4 levels of nesting (the slides' loop: graph, session, epoch, step)."""
    for node in ast.walk(parse(script)):
        if isinstance(node, ast.FunctionDef):
            assert node.end_lineno - node.lineno + 1 <= 60, f"{script}: {node.name} is too long"
            assert _depth(node.body) <= 4, f"{script}: {node.name} nests more than 4 deep"


KIT_SOURCES = ["*.py", os.path.join("aelab", "**", "*.py"), os.path.join("bench", "*.py"),
               os.path.join("tests", "*.py")]


@pytest.mark.parametrize("pattern", KIT_SOURCES)
def test_every_class_is_under_160_lines(pattern):
    """No class carries a dozen jobs (runs.Run's are split among its parts)."""
    paths = sorted(glob.glob(os.path.join(REPO, pattern), recursive=True))
    assert paths
    for path in paths:
        name = os.path.relpath(path, REPO)
        for node in ast.walk(parse(name)):
            if isinstance(node, ast.ClassDef):
                assert node.end_lineno - node.lineno + 1 < 160, f"{name}: {node.name} is too long"
