"""Fuzz tests: random graphs and cases checked against an independent reference (the other
compilation mode, NumPy/SciPy, direct loops, finite differences). The smoke tier runs by
default; ``pytest -m slow tests/fuzz`` runs the exhaustive one. See docs/dev/NOTES.md."""
