"""``python -m framework.compat.theano script.py [args]``: run a Theano 1.0 program."""
import sys

from ._alias import main

sys.exit(main())
