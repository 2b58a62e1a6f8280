"""No function or method in product code spans more than 80 lines.

A long function hides its steps; splitting it into named ones lets a reader see the plan before
the details. The span counts from the ``def`` line to the last line of the body (decorators are
not counted). Migrations, tests and the service emulators (test doubles, not product) are left out.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("rules", "mspercury", "customers", "quotes", "billing", "integrations", "portal", "demo")
SKIPPED_DIRS = {"migrations", "tests", "emulator", "emulators", "__pycache__"}
MAX_LINES = 80


def product_files(root: Path = ROOT) -> list[Path]:
    """Every Python file of the product apps, without the parts that are not product code."""
    files = []
    for app in APPS:
        for path in sorted((root / app).rglob("*.py")):
            if SKIPPED_DIRS.isdisjoint(path.relative_to(root).parts[:-1]):
                files.append(path)
    return files


def long_functions(path: Path, root: Path = ROOT, limit: int = MAX_LINES) -> list[str]:
    """``file:line name (N lines)`` for each function in ``path`` longer than ``limit``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for scope, node in _functions(tree, ""):
        span = node.end_lineno - node.lineno + 1
        if span > limit:
            found.append(f"{path.relative_to(root)}:{node.lineno} {scope} ({span} lines)")
    return found


def _functions(node: ast.AST, prefix: str):
    """Yield (qualified name, node) for every function in ``node``, nested ones included."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            name = f"{prefix}{child.name}"
            if not isinstance(child, ast.ClassDef):
                yield name, child
            yield from _functions(child, f"{name}.")
        else:
            yield from _functions(child, prefix)


def test_it_finds_the_product_files():
    files = product_files()
    names = {path.relative_to(ROOT).as_posix() for path in files}
    assert "integrations/push/planner.py" in names
    assert not any("/migrations/" in name or "/emulator" in name for name in names)


def test_it_keeps_every_product_function_within_80_lines():
    too_long = [entry for path in product_files() for entry in long_functions(path)]
    assert not too_long, "Split these into named steps:\n" + "\n".join(too_long)


def _function_source(name: str, body_lines: int, indent: str = "") -> str:
    """A function of ``name`` whose def line plus body span ``body_lines + 1`` lines."""
    body = "".join(f"{indent}    x{i} = {i}\n" for i in range(body_lines))
    return f"{indent}def {name}():\n{body}\n\n"


def test_it_catches_an_over_long_function(tmp_path):
    app = tmp_path / "quotes"
    (app / "migrations").mkdir(parents=True)
    (app / "long.py").write_text(
        "import functools\n\n\n@functools.cache\n"
        + _function_source("just_fits", MAX_LINES - 1)
        + _function_source("too_long", MAX_LINES)
        + "class Report:\n"
        + _function_source("method", MAX_LINES + 5, indent="    ")
    )
    (app / "migrations" / "0001_initial.py").write_text(_function_source("too_long", 200))

    files = product_files(tmp_path)
    found = [entry for path in files for entry in long_functions(path, root=tmp_path)]

    assert [path.name for path in files] == ["long.py"]
    assert found == [
        "quotes/long.py:87 too_long (81 lines)",
        "quotes/long.py:171 Report.method (86 lines)",
    ]
