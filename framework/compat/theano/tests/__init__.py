"""``theano.tests``: the helpers Theano 1.0 gave test suites (``unittest_tools``, imported as ``utt``)."""
