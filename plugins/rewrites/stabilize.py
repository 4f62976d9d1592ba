"""The kernel's numerical stabilisations (:mod:`framework.core.stabilize`),
run by this plugin in FAST_RUN's ``stabilize`` stage; ``grad`` runs them too,
whatever plugins are installed."""
from framework.core.stabilize import REWRITES

__all__ = ["REWRITES"]
