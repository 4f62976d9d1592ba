"""Issue 17: backends and rewrites find an op's facts through the op or op-keyed
tables, never by comparing a class's name with a string (a renamed or
subclassed op would silently fall through such a ladder)."""
import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _is_type_name(node: ast.AST) -> bool:
    """``type(<x>).__name__`` or ``<x>.__class__.__name__``."""
    if not (isinstance(node, ast.Attribute) and node.attr == "__name__"):
        return False
    inner = node.value
    if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name) and inner.func.id == "type":
        return True
    return isinstance(inner, ast.Attribute) and inner.attr == "__class__"


def _op_name_dispatches(path: pathlib.Path):
    tree = ast.parse(path.read_text(), str(path))
    names_from_type = set()  # variables assigned ``type(...).__name__``
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and _is_type_name(node.value):
            names_from_type.update(t.id for t in node.targets if isinstance(t, ast.Name))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        typed = any(_is_type_name(s) or isinstance(s, ast.Name) and s.id in names_from_type for s in sides)
        strings = [s.value for s in sides if isinstance(s, ast.Constant) and isinstance(s.value, str)]
        strings += [e.value for s in sides if isinstance(s, (ast.Tuple, ast.List, ast.Set))
                    for e in s.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        # ``type(fn).__name__ == "ufunc"`` asks whether a callable is NumPy's or CuPy's
        # ufunc type (two unrelated classes of that name): not a dispatch on ops
        if typed and strings and set(strings) != {"ufunc"}:
            yield f"{path}:{node.lineno}"


def test_no_dispatch_on_class_name_strings():
    found = []
    for top in ("framework", "plugins"):
        for path in sorted((ROOT / top).rglob("*.py")):
            found.extend(_op_name_dispatches(path))
    assert not found, "dispatch on a class name string (use isinstance or an op-keyed table): " + ", ".join(found)


def test_the_check_sees_a_ladder(tmp_path):
    """The scanner itself finds the pattern it forbids (so the test above means something)."""
    bad = tmp_path / "ladder.py"
    bad.write_text('def k(node):\n    cls = type(node.op).__name__\n    if cls == "Shape":\n        return 1\n'
                   '    return type(node.op).__name__ in ("Scan", "Fused")\n')
    assert len(list(_op_name_dispatches(bad))) == 2
