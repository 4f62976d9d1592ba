"""The data sets the RBM trains on are those of the bundled ``datasets`` plugin,
which registers them: this name is that module (:mod:`framework_datasets.loaders`,
the very same object once imported, so its settings and helpers are reachable
from here too)."""
import sys

from framework_datasets import loaders as _loaders

globals().update({k: v for k, v in vars(_loaders).items() if not k.startswith("__")})
sys.modules[__name__] = _loaders
