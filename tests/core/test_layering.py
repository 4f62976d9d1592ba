"""Issue 17: ``framework/core`` is layered (docs/architecture.md, "The layers").

Module-level imports between core modules form no circle, and no core module
imports anything above core (``framework.printing``, ``framework.scan_module``,
``framework.gradient``, ``framework.training``, the CLI) or a plugin. The few
deliberate calls downwards are imports inside a function, named in the docs.
"""
import ast
import pathlib

CORE = pathlib.Path(__file__).resolve().parents[2] / "framework" / "core"
ABOVE_CORE = ("framework.printing", "framework.scan_module", "framework.gradient", "framework.training",
              "framework.cli", "framework.tensor", "framework.compat", "framework.sweep", "plugins")


def _module_level_imports(path: pathlib.Path):
    """(core siblings imported, absolute module names imported) at module level."""
    siblings, absolute = set(), set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                if node.module:
                    siblings.add(node.module.split(".")[0])
                else:
                    siblings.update(alias.name for alias in node.names)
            elif node.level == 2:
                absolute.add("framework." + (node.module or ""))
            elif node.module:
                absolute.add(node.module)
        elif isinstance(node, ast.Import):
            absolute.update(alias.name for alias in node.names)
    return siblings, absolute


def _graph():
    modules = {p.stem: p for p in CORE.glob("*.py")}
    return {name: {d for d in _module_level_imports(p)[0] if d in modules} for name, p in modules.items()}


def _cycle(graph):
    """One import circle as a list of modules, or None."""
    state, stack = {}, []

    def visit(m):
        state[m] = "open"
        stack.append(m)
        for d in sorted(graph[m]):
            if state.get(d) == "open":
                return stack[stack.index(d):] + [d]
            if d not in state:
                found = visit(d)
                if found:
                    return found
        state[m] = "done"
        stack.pop()
        return None

    for m in sorted(graph):
        if m not in state:
            found = visit(m)
            if found:
                return found
    return None


def test_core_module_imports_form_no_circle():
    circle = _cycle(_graph())
    assert circle is None, "import circle in framework/core: " + " -> ".join(circle)


def test_the_circle_finder_finds_one():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_core_imports_nothing_above_it_at_module_level():
    offenders = []
    for path in sorted(CORE.glob("*.py")):
        for name in _module_level_imports(path)[1]:
            if name.startswith(ABOVE_CORE):
                offenders.append(f"{path.name} imports {name}")
    assert not offenders, "; ".join(offenders)
