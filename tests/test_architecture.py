"""The floor plan as contracts: every arrow between apps points into the core.

Layers, lowest first: ``rules`` (pure, no app) · ``mspercury`` (the platform) · ``customers`` ·
``quotes`` · ``billing`` · ``portal`` (the customer's side; it pays through billing.edge) ·
``integrations`` (the edge to Stripe and VIES) · ``demo``. An app imports
only apps below it, counting imports inside functions, so there is no cycle between apps; in
particular billing, quotes, customers and mspercury never import integrations, and mspercury
imports no app. See docs/architecture.md.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["rules", "mspercury", "customers", "quotes", "billing", "portal", "integrations", "demo"]


def imports_of(root: Path, package: str) -> list[tuple[str, int, str]]:
    """(file, line, imported module) for every absolute import in ``package`` (functions too);
    migrations and the emulators' code are not the product's."""
    found = []
    for path in sorted((root / package).rglob("*.py")):
        if "migrations" in path.parts or "emulator" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            else:
                continue
            found += [(str(path.relative_to(root)), node.lineno, name) for name in names]
    return found


def upward_imports(root: Path, layers: list[str]) -> list[str]:
    """Every import of an app by an app below it, as "file:line imports module"."""
    wrong = []
    for rank, package in enumerate(layers):
        above = set(layers[rank + 1 :])
        for path, line, module in imports_of(root, package):
            if module.split(".")[0] in above:
                wrong.append(f"{path}:{line} imports {module}")
    return wrong


def app_cycles(root: Path, apps: list[str]) -> list[tuple[str, str]]:
    """Pairs of apps that reach each other through imports (in either direction)."""
    graph = {app: set() for app in apps}
    for app in apps:
        for _path, _line, module in imports_of(root, app):
            top = module.split(".")[0]
            if top in graph and top != app:
                graph[app].add(top)

    def reach(start):
        seen, todo = set(), [start]
        while todo:
            for nxt in graph[todo.pop()] - seen:
                seen.add(nxt)
                todo.append(nxt)
        return seen

    return [(a, b) for a in apps for b in apps if a < b and b in reach(a) and a in reach(b)]


def test_every_arrow_points_into_the_core():
    assert upward_imports(ROOT, LAYERS) == []


def test_no_import_cycle_between_apps_counting_imports_inside_functions():
    assert app_cycles(ROOT, LAYERS) == []


@pytest.mark.parametrize("app", ["billing", "quotes", "customers", "mspercury"])
def test_the_core_never_imports_the_edge(app):
    assert [i for i in imports_of(ROOT, app) if i[2].split(".")[0] == "integrations"] == []


def test_the_platform_imports_no_app():
    apps = set(LAYERS) - {"rules", "mspercury"}
    assert [i for i in imports_of(ROOT, "mspercury") if i[2].split(".")[0] in apps] == []


def _tree(tmp_path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_the_contract_fails_when_a_forbidden_import_is_added(tmp_path):
    """A billing module that imports the edge inside a function is caught, with its line."""
    root = _tree(
        tmp_path,
        {
            "billing/__init__.py": "",
            "billing/late.py": "def f():\n    from integrations.models import Push\n",
            "integrations/__init__.py": "from billing import late\n",
        },
    )
    assert upward_imports(root, LAYERS) == ["billing/late.py:2 imports integrations.models"]
    assert app_cycles(root, LAYERS) == [("billing", "integrations")]


def test_migrations_and_emulators_are_not_counted(tmp_path):
    root = _tree(
        tmp_path,
        {
            "billing/migrations/0001_x.py": "import integrations\n",
            "integrations/stripe/emulator/app.py": "import demo\n",
        },
    )
    assert upward_imports(root, LAYERS) == []
