"""framework.models and framework.datasets: facades over the plugin registries."""
import numpy as np
import pytest

import framework
import framework.datasets as datasets
import framework.models as models
from framework.plugins import DatasetSpec, ModelSpec, hookimpl


def test_bundled_families_are_registered_by_the_plugins():
    assert {"linear", "logistic", "rbm", "gaussian_rbm"} <= set(models.list())
    specs = models.specs()
    assert specs["rbm"].plugin == "rbm" and specs["linear"].plugin == "linear"
    assert models.get("rbm") is models.RBM
    assert models.get("linear") is models.LinearRegression
    assert models.get("logistic") is framework.models.LogisticRegression
    assert models.GaussianBernoulliRBM.__name__ == "GaussianBernoulliRBM"
    assert callable(models.spec("rbm").train) and callable(models.spec("rbm").sample)
    assert "RBM" in dir(models)


def test_unknown_model_names_list_the_known_ones():
    with pytest.raises(models.UnknownModelError, match=r"unknown model family 'rmb': known model families are "
                                                         r"gaussian_rbm, lenet, linear, logistic, rbm"):
        models.get("rmb")
    with pytest.raises(AttributeError, match=r"unknown model class 'RMB'.*classes: .*RBM"):
        models.RMB  # noqa: B018
    with pytest.raises(KeyError):  # also a KeyError, as registry lookups are
        models.spec("nope")


def test_bundled_datasets_load_by_name():
    assert {"digits", "mnist", "bars_and_stripes", "npz"} <= set(datasets.list())
    digits = datasets.load("digits")
    assert digits.train[0].shape == (1197, 64) and digits.shape == (8, 8)
    bas = datasets.load("bars_and_stripes", n_side=3)
    assert bas.train[0].shape == (14, 9)


def test_paths_go_to_the_registered_loaders(tmp_path):
    path = tmp_path / "data.npz"
    np.savez(path, x=np.random.RandomState(0).rand(20, 4), y=np.arange(20) % 2)
    data = datasets.load(str(path))
    assert data.train[0].shape == (16, 4) and data.name == "data"
    assert datasets.resolve(path) == ("npz", {"path": str(path)})
    assert datasets.resolve(str(tmp_path / "mnist.pkl.gz"))[0] == "mnist"
    assert datasets.resolve(str(tmp_path))[0] == "mnist"  # a directory of IDX files
    # the loader's own error for a file that is not there
    with pytest.raises(ValueError, match="not found"):
        datasets.load(str(tmp_path / "missing.npz"))


def test_unknown_dataset_is_a_clear_error():
    with pytest.raises(datasets.UnknownDatasetError, match=r"unknown dataset 'digitz': known datasets are "
                                                           r"bars_and_stripes, digits, mnist, npz"):
        datasets.load("digitz")
    with pytest.raises(datasets.UnknownDatasetError, match="must be a name or a path"):
        datasets.load(42)


class _ThirdParty:
    """A plugin object, registered in code as a third party would."""

    class Stump:
        """Predicts a constant."""

        def __init__(self, value=0.0):
            self.value = value

    @hookimpl
    def framework_models(self):
        yield ModelSpec(name="stump", factory=self.Stump, doc="A constant model.")

    @hookimpl
    def framework_datasets(self):
        yield DatasetSpec(name="ones", load=lambda n=3: np.ones((n, 2)))


def test_a_third_party_family_and_dataset_appear_in_the_facades():
    name = framework.plugins.register(_ThirdParty(), name="third_party")
    try:
        assert "stump" in models.list()
        assert models.get("stump")(2.0).value == 2.0
        assert models.Stump is _ThirdParty.Stump
        assert models.spec("stump").plugin == "third_party"
        assert datasets.load("ones", n=4).shape == (4, 2)
    finally:
        framework.plugins.unregister(name)
    assert "stump" not in models.list()
