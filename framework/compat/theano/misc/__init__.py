"""``theano.misc``: ``pkl_utils`` (pickles whose arrays are .npy members of a zip)."""
