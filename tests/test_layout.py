"""The package's shape: folders in pipeline order, no import cycles, no private imports across modules."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from support.helpers import ROOT

PACKAGE = ROOT / "sitegen"

#: What each folder may import from the project at run time (type-only imports are free).
#: Read top to bottom: a folder never reaches down the pipeline.
ALLOWED = {
    "sources": {"sources"},
    "models": {"sources", "models", "analysis"},  # models use the public top-k, measures, itemsets
    "analysis": {"sources", "analysis"},  # models only as types: the pipeline hands them fitted
    "site": {"sources", "models", "analysis", "site"},
}
#: Modules at the package root; ``params``, ``errors`` and the package itself are open to all.
SHARED = {"sitegen", "sitegen.params", "sitegen.errors", "sitegen.linalg"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def runtime_imports(path: Path) -> list[tuple[str, list[str]]]:
    """(imported module, names) for every import not guarded by ``if TYPE_CHECKING``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    guarded = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            guarded |= {id(n) for child in node.body for n in ast.walk(child)}
    found = []
    for node in ast.walk(tree):
        if id(node) in guarded:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((target, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names]
    return found


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        for target, names in runtime_imports(path):
            if not target.startswith("sitegen"):
                continue
            # "from . import x" names a module when x is one
            subs = [f"{target}.{n}" for n in names if f"{target}.{n}" in modules]
            edges[name] |= set(subs) or ({target} if target in modules else set())
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles():
    assert cycles(graph()) == []


def test_folders_import_only_upstream():
    wrong = []
    for module, targets in graph().items():
        parts = module.split(".")
        if len(parts) < 3 or parts[1] not in ALLOWED:
            continue
        for target in targets - SHARED:
            folder = target.split(".")[1]
            if folder not in ALLOWED[parts[1]]:
                wrong.append(f"{module} -> {target}")
    assert wrong == []


def test_no_private_names_imported_across_modules():
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        for target, names in runtime_imports(path):
            wrong += [f"{module_name(path)}: {target}.{n}" for n in names if n.startswith("_") and n != "__version__"]
    assert wrong == []


def test_the_package_never_imports_test_code():
    for path in PACKAGE.rglob("*.py"):
        assert not any(t.split(".")[0] in {"tests", "support"} for t, _ in runtime_imports(path)), path


def test_readme_layout_lists_every_folder():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    folders = {p.relative_to(ROOT).as_posix() for p in PACKAGE.rglob("*") if p.is_dir() and p.name != "__pycache__"}
    folders |= {"templates", "static", "content", "tests"}
    listed = set(re.findall(r"`([a-z_/]+)/`", readme))
    assert folders <= listed, sorted(folders - listed)
