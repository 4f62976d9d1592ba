"""Graph-pattern helpers shared by the rewrites (they live in the kernel:
:mod:`framework.core.patterns`, which the kernel's stabilisations use too)."""
from framework.core.patterns import *  # noqa: F401,F403
from framework.core.patterns import __all__  # noqa: F401
