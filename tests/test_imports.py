"""Import order cannot break: no cycles in the package, and every module imports on its own.

A module that only imports cleanly when some other module was imported first hides a cycle
(or a missing import). ``test_every_module_imports_first`` imports each module of
``app/alexphone`` first, in an interpreter where no ``alexphone`` module was ever loaded, as
python-zeroconf's test suite does. One interpreter per module costs ~0.5 s each here (40 s on
two cores), nearly all of it in third-party packages; so one fresh interpreter imports the
third-party packages ``alexphone`` names, checks that it holds no ``alexphone`` module, and
forks one child per module: each child starts from that clean state and imports its module
first (what the preload could hide: a module reaching a third-party submodule it never
imported, e.g. ``PySide6.QtCore`` after ``import PySide6`` alone).
``test_no_import_cycle_even_for_type_checking`` reads the import graph itself (grimp, as
lint-imports does), which also sees imports under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import grimp

APP = Path(__file__).resolve().parents[1] / "app"
PACKAGE = "alexphone"
SKIPPED = {f"{PACKAGE}.__main__"}  # runs the program when imported

FORKING_IMPORTER = r"""
import ast, importlib, os, sys, traceback
from pathlib import Path

app, package, modules = Path(sys.argv[1]), sys.argv[2], sys.argv[3:]
third_party = set()
for path in (app / package).rglob("*.py"):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            third_party.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            third_party.add(node.module)
for name in sorted(third_party):
    if name.split(".")[0] != package:
        try:
            importlib.import_module(name)
        except Exception:  # optional packages (e.g. a platform's): the child will tell
            pass
loaded = [m for m in sys.modules if m.split(".")[0] == package]
if loaded:
    sys.exit(f"not fresh: {loaded}")
failed, running, queue = [], {}, list(modules)
while queue or running:
    while queue and len(running) < (os.cpu_count() or 2):
        module = queue.pop(0)
        pid = os.fork()
        if pid == 0:
            try:
                importlib.import_module(module)
            except BaseException:
                traceback.print_exc()
                os._exit(1)
            os._exit(0)
        running[pid] = module
    pid, status = os.wait()
    if status != 0:
        failed.append(running[pid])
    del running[pid]
print("\n".join(sorted(failed)))
"""


def _modules() -> list[str]:
    found = []
    for path in sorted((APP / PACKAGE).rglob("*.py")):
        parts = path.relative_to(APP).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if name not in SKIPPED:
            found.append(name)
    return found


def test_every_module_imports_first() -> None:
    modules = _modules()
    assert len(modules) > 100  # the whole package, not an empty glob
    result = subprocess.run(
        [sys.executable, "-c", FORKING_IMPORTER, str(APP), PACKAGE, *modules],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONPATH": str(APP), "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert result.stdout.split() == [], result.stderr[-4000:]


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, edges = work[-1]
            step = next((m for m in edges if m in graph.modules), None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = len(index)
                    stack.append(step)
                    on_stack.add(step)
                    work.append((step, iter(sorted(graph.find_modules_directly_imported_by(step)))))
                elif step in on_stack:
                    low[module] = min(low[module], index[step])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[module])
            if low[module] == index[module]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == module:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def test_no_import_cycle_even_for_type_checking() -> None:
    graph = grimp.build_graph(PACKAGE, cache_dir=None)
    assert len(graph.modules) > 100
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for module in ("p.a", "p.b", "p.c", "p.d"):
        graph.add_module(module)
    graph.add_import(importer="p.a", imported="p.b")
    graph.add_import(importer="p.b", imported="p.c")
    graph.add_import(importer="p.c", imported="p.a")
    graph.add_import(importer="p.c", imported="p.d")
    assert _cycles(graph) == [["p.a", "p.b", "p.c"]]
