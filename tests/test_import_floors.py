"""The engine's floors (docs/architecture.md, "Floors"): imports only point down, and no
module imports another, at the top of a file or inside a function, so that the two
depend on each other.

Every module of ``engine/`` is parsed with :mod:`ast`; every ``import`` counts, those inside
functions included (a lazy import that dodges a cycle is still the cycle). Importing
``engine.a.b`` also runs ``engine/a/__init__.py``: that implicit edge is not counted, but a
package's ``__init__`` is a module of its own here, with its own imports and floor.
``importlib.import_module`` is not followed: only the facade ``engine/__init__.py`` (the top
floor) uses it, to import the API on first use.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parent.parent / "engine"

#: The floors, lowest first. A module belongs to the floor of the longest entry that is its
#: name or a package above it (``engine.rating`` covers ``engine.rating.deal``); the root
#: package ``engine`` covers only ``engine/__init__.py``.
FLOORS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # rules that need nothing of the engine: errors, bounds, reading user files, the
    # rating scale and ideal default tables (a scenario names notches and a table)
    ("base", ("engine.errors", "engine.limits", "engine.inputs", "engine.notation",
              "engine.rating.scale", "engine.rating.tables", "engine.rating.methods",
              "engine.rating.__init__")),
    # the ipabs/v1 format; schedules.py (a scenario's asset and tranche schedules, pure
    # numpy) sits in waterfall/ but reads only scenario models: a deal state is checked
    # against it
    ("scenario", ("engine.scenario", "engine.waterfall.schedules",
                  "engine.waterfall.calendar")),
    # Scenario -> Plan -> the kernels' bundles: the bundles themselves and the Python
    # helpers in the kernel packages that build a Plan's arrays
    ("plan", ("engine.plan", "engine.tracking",
              "engine.default.bundles", "engine.default.concentration",
              "engine.default.factors", "engine.default.groups", "engine.default.pd_curves",
              "engine.default.draw_keys",
              "engine.default.nearest_correlation",
              "engine.waterfall.bundles", "engine.waterfall.codes", "engine.waterfall.collateral",
              "engine.waterfall.program")),
    ("kernels", ("engine._jit", "engine._kernels", "engine._path_outcomes", "engine.layout",
                 "engine.default", "engine.waterfall")),
    ("drivers", ("engine.simulate", "engine.variants", "engine.twins", "engine.threads",
                 "engine.sampling", "engine.deterministic",
                 "engine.backends", "engine.accumulate")),
    ("rating and analysis", ("engine.rating", "engine.analysis", "engine.result")),
    # track runs engine.api.run at closing and at every state
    ("api", ("engine.api", "engine.analysis.tracking", "engine.books")),
    # the golden check writes the result files of engine.report.files
    # the install's build of the kernels runs the warm-up
    ("cli and report", ("engine.cli", "engine.__main__", "engine.warmup", "engine.prebuilt",
                        "engine.report",
                        "engine.analysis.regression", "engine")),
)

#: Imports that point up and are not fixed yet: (importer, imported) -> why.
KNOWN_UP_IMPORTS: dict[tuple[str, str], str] = {
}


# ----------------------------------------------------------------------------- the checker


def module_names(root: Path) -> dict[str, Path]:
    """``engine.a.b`` -> its file, for every module under ``root`` (a package folder);
    a package is named by its folder (``engine.a`` for ``engine/a/__init__.py``)."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the modules of ``root``'s package it imports, anywhere in its file."""
    modules = module_names(root)
    top = root.name

    def known(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets |= {known(a.name) for a in node.names
                            if a.name == top or a.name.startswith(top + ".")}
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                if source != top and not source.startswith(top + "."):
                    continue
                for alias in node.names:          # ``from engine import layout``: a module
                    sub = f"{source}.{alias.name}"
                    targets.add(sub if sub in modules else known(source))
        graph[name] = {t for t in targets if t is not None and t != name}
    return graph


def import_groups(graph: dict[str, set[str]]) -> list[set[str]]:
    """Every group of modules that import each other, directly or through others (the
    strongly connected components of two or more)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(v: str) -> None:                    # Tarjan
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(group)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return groups


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle through each group of :func:`import_groups`: ``[a, b, a]``."""
    return [_cycle_in(graph, group) for group in import_groups(graph)]


def _cycle_in(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """The shortest cycle through the smallest name of a strongly connected ``group``
    (breadth first, neighbours in name order)."""
    start = min(group)
    paths = {start: [start]}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph[v]):
            if w == start:
                return paths[v] + [start]
            if w in group and w not in paths:
                paths[w] = paths[v] + [w]
                queue.append(w)
    raise AssertionError(f"{sorted(group)} is not strongly connected")


def floor_of(module: str, floors=FLOORS) -> int:
    """The floor number of ``module`` (0 lowest); KeyError if no entry covers it."""
    best, found = -1, None
    for number, (_, entries) in enumerate(floors):
        for entry in entries:
            root_only = "." not in entry
            covers = (module == entry or (entry.endswith(".__init__")
                                          and module == entry.removesuffix(".__init__"))
                      or (not root_only and module.startswith(entry + ".")))
            if covers and len(entry) > best:
                best, found = len(entry), number
    if found is None:
        raise KeyError(f"{module} is on no floor: add it to FLOORS")
    return found


def up_imports(graph: dict[str, set[str]], floors=FLOORS) -> list[tuple[str, str]]:
    """Every (importer, imported) where the imported module is on a higher floor."""
    return sorted((a, b) for a, targets in graph.items() for b in targets
                  if floor_of(b, floors) > floor_of(a, floors))


# ----------------------------------------------------------------------------- the engine


@pytest.fixture(scope="module")
def graph():
    return import_graph(ENGINE)


def test_every_module_is_on_a_floor(graph):
    missing = []
    for module in graph:
        try:
            floor_of(module)
        except KeyError:
            missing.append(module)
    assert not missing, f"modules on no floor (add them to FLOORS): {missing}"


def test_no_import_cycles(graph):
    groups = import_groups(graph)
    assert not groups, "import cycles:\n" + "\n".join(
        f"{' -> '.join(_cycle_in(graph, g))}  (all of: {', '.join(sorted(g))})" for g in groups)


def test_imports_point_down(graph):
    found = up_imports(graph)
    names = [name for name, _ in FLOORS]
    new = [f"{a} ({names[floor_of(a)]}) imports {b} ({names[floor_of(b)]})"
           for a, b in found if (a, b) not in KNOWN_UP_IMPORTS]
    assert not new, "imports from a higher floor:\n" + "\n".join(new)
    stale = [pair for pair in KNOWN_UP_IMPORTS if pair not in found]
    assert not stale, f"fixed, remove from KNOWN_UP_IMPORTS: {stale}"


def test_the_scenario_models_sit_above_checks_and_edits(graph):
    """The cycle this test was written for: the validated Scenario runs the checks and
    with_changes edits; checks, edit and the error translation read only the parts."""
    for low in ("engine.scenario.checks", "engine.scenario.edit",
                "engine.scenario.validation_errors", "engine.scenario.correlation",
                "engine.scenario.parts"):
        assert "engine.scenario.models" not in graph[low], low
    assert {"engine.scenario.checks", "engine.scenario.edit",
            "engine.scenario.validation_errors"} <= graph["engine.scenario.models"]


def test_public_names_stay_where_they_were():
    import engine.scenario as package
    import engine.scenario.models as models
    from engine.scenario import edit, parts

    assert models.Scenario is package.Scenario
    assert issubclass(models.Scenario, parts.ScenarioFields)
    for name in (*models.__all__, "SEED_LIMIT", "SENSITIVITY_CHANGES", "format_amount",
                 "Id", "NonNegative", "Notch", "_all_models"):
        assert hasattr(models, name), name
    # no private name of the parts is re-exported (models' own helpers only)
    leaked = [n for n in vars(models) if n.startswith("_") and not n.startswith("__")
              and getattr(getattr(models, n), "__module__", "engine.scenario.models")
              != "engine.scenario.models"]
    assert leaked == [], leaked
    for name in parts.__all__:
        if name != "ScenarioFields":
            assert getattr(models, name) is getattr(parts, name), name
    for name in ("with_changes", "without_support", "standalone", "with_convention"):
        assert callable(getattr(edit, name))


# ----------------------------------------------------------------------------- the checker can fail


def test_the_checker_finds_a_cycle_in_a_tiny_graph():
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    two = find_cycles({"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"c", "a"}})
    assert sorted(two) == [["a", "b", "a"], ["c", "d", "c"]]
    # the shortest way round
    assert find_cycles({"a": {"b", "c"}, "b": {"c"}, "c": {"a"}}) == [["a", "c", "a"]]


def test_the_checker_finds_an_up_import_in_a_tiny_graph():
    floors = (("low", ("pkg.low",)), ("high", ("pkg.high", "pkg")))
    assert up_imports({"pkg.low": set(), "pkg.high": {"pkg.low"}}, floors) == []
    assert up_imports({"pkg.low.x": {"pkg.high"}, "pkg.high": set()}, floors) == [
        ("pkg.low.x", "pkg.high")]
    assert floor_of("pkg", floors) == 1
    with pytest.raises(KeyError):
        floor_of("pkg.other", floors)


def test_a_lazy_import_is_a_cycle_too(tmp_path):
    """A planted cycle, dodged by an import inside a function, as models.py once did."""
    pkg = tmp_path / "fake"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("from fake.sub.models import Model\n")
    (pkg / "sub" / "models.py").write_text(
        "class Model:\n"
        "    def check(self):\n"
        "        from fake.sub.checks import check\n"
        "        return check(self)\n")
    (pkg / "sub" / "checks.py").write_text("from . import models\n\n"
                                            "def check(m):\n    return []\n")
    (pkg / "other.py").write_text("import fake.sub.checks\nfrom fake import sub\n")
    graph = import_graph(pkg)
    assert graph["fake.sub.models"] == {"fake.sub.checks"}
    assert graph["fake.sub.checks"] == {"fake.sub.models"}
    assert graph["fake.other"] == {"fake.sub.checks", "fake.sub"}
    assert find_cycles(graph) == [["fake.sub.checks", "fake.sub.models", "fake.sub.checks"]]
    # and the same package without the lazy import has none
    (pkg / "sub" / "models.py").write_text("class Model:\n    pass\n")
    assert find_cycles(import_graph(pkg)) == []
