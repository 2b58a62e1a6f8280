"""Import contracts: which parts of the tree may import which, read from the source.

Every .py file is parsed with `ast`, so an import inside a function or behind a condition counts
as much as one at the top, and so does `importlib.import_module("...")` with a literal name.

The contracts so far keep the test doubles out of the product:
- `emulators/` imports neither Django nor a product app (it is not a Django app and runs
  without the product's settings);
- no product app imports `emulators` (the production image leaves it out). Tests, `bench/`
  and `scripts/` start the emulators and are not product; `demo/seed.py` reaches them
  only over HTTP, so the product needs no exception.
"""

import ast
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ["rules", "mspercury", "customers", "quotes", "billing", "portal", "integrations", "demo"]


def forbidden_imports(root: Path, packages: list[str], banned: list[str]) -> list[str]:
    """Every import of a module in `banned` (or below it) by a module of `packages` (folders or
    single modules under `root`), as "path:line imports name", sorted."""
    found = []
    for path in _python_files(root, packages):
        module = path.relative_to(root).with_suffix("").parts
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            for name in _imported_names(node, module):
                if any(name == b or name.startswith(b + ".") for b in banned):
                    found.append(f"{path.relative_to(root)}:{node.lineno} imports {name}")
    return sorted(found)


def _python_files(root: Path, packages: list[str]) -> list[Path]:
    files = []
    for package in packages:
        folder, single = root / package, root / f"{package}.py"
        if folder.is_dir():
            files += sorted(folder.rglob("*.py"))
        elif single.is_file():
            files.append(single)
        else:
            # A misspelt name would otherwise check nothing and pass.
            raise FileNotFoundError(f"no package or module {package!r} under {root}")
    return files


def _imported_names(node: ast.AST, module: tuple[str, ...]) -> list[str]:
    """The absolute module names a node imports (`from a import b` names a and a.b, since b
    may be a module)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        if node.level:
            package = module[:-1]  # a/b/c.py and a/b/__init__.py both sit in package a.b
            base = package[: max(0, len(package) - node.level + 1)]
            stem = ".".join([*base, *([node.module] if node.module else [])])
        else:
            stem = node.module or ""
        return [stem, *(f"{stem}.{alias.name}" for alias in node.names)]
    if isinstance(node, ast.Call) and _is_dynamic_import(node.func) and node.args:
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return [first.value]
    return []


def _is_dynamic_import(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in ("__import__", "import_module")
    return isinstance(func, ast.Attribute) and func.attr == "import_module"


def test_the_emulators_import_neither_django_nor_the_product():
    assert forbidden_imports(ROOT, ["emulators"], ["django", *PRODUCT]) == []


def test_the_product_does_not_import_the_emulators():
    assert forbidden_imports(ROOT, PRODUCT, ["emulators"]) == []


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
    return root


def test_it_finds_a_forbidden_import_wherever_it_stands(tmp_path):
    """A product-like tree that imports the emulators at the top, inside a function, by
    `from ... import`, and through importlib is reported line by line."""
    root = _tree(
        tmp_path,
        {
            "integrations/__init__.py": "",
            "integrations/clean.py": "import json\nfrom integrations import models\n",
            "integrations/stripe/sneaky.py": """\
                import emulators.stripe

                def start():
                    from emulators import vies
                    import importlib
                    return importlib.import_module("emulators.vies.server")
                """,
        },
    )
    assert forbidden_imports(root, ["integrations"], ["emulators"]) == [
        "integrations/stripe/sneaky.py:1 imports emulators.stripe",
        "integrations/stripe/sneaky.py:4 imports emulators",
        "integrations/stripe/sneaky.py:4 imports emulators.vies",
        "integrations/stripe/sneaky.py:6 imports emulators.vies.server",
    ]


def test_it_resolves_relative_imports_and_matches_whole_names(tmp_path):
    """`from .. import x` counts as the absolute name it means; django_countries is not
    django, and a package's own relative imports are not its neighbours'."""
    root = _tree(
        tmp_path,
        {
            "emulators/__init__.py": "from . import stripe\n",
            "emulators/stripe/__init__.py": "from .app import Emulator\n",
            "emulators/stripe/app.py": """\
                import django_countries
                from .. import _server
                from ...billing import money
                """,
            "emulators/stripe/wording.py": "from django.utils.translation import gettext\n",
        },
    )
    assert forbidden_imports(root, ["emulators"], ["django", "billing"]) == [
        "emulators/stripe/app.py:3 imports billing",
        "emulators/stripe/app.py:3 imports billing.money",
        "emulators/stripe/wording.py:1 imports django.utils.translation",
        "emulators/stripe/wording.py:1 imports django.utils.translation.gettext",
    ]


def test_it_refuses_a_package_that_is_not_there(tmp_path):
    """A misspelt package name fails instead of checking nothing."""
    with pytest.raises(FileNotFoundError, match="emulatrs"):
        forbidden_imports(tmp_path, ["emulatrs"], ["django"])
