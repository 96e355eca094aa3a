import numpy as np
import pytest

import neuroflow as nf
from neuroflow.preprocessing import StandardScaler, from_config


def test_standard_scaler_zero_mean_unit_variance_and_constant_column():
    x = np.array([[1.0, 5.0, 2.0], [3.0, 5.0, 4.0], [5.0, 5.0, 9.0]])
    scaler = StandardScaler().fit(x)
    out = scaler.transform(x)
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=0), [1.0, 0.0, 1.0], atol=1e-12)
    np.testing.assert_allclose(scaler.inverse_transform(out), x)


def test_round_trip_through_config_and_state():
    x = np.random.default_rng(0).normal(3.0, 2.0, size=(20, 4))
    scaler = StandardScaler().fit(x)
    rebuilt = from_config(scaler.get_config(), scaler.state())
    np.testing.assert_array_equal(rebuilt.transform(x), scaler.transform(x))
    assert scaler.get_config() == {"type": "StandardScaler", "n_features": 4}


def test_network_applies_preprocessing():
    x = np.array([[100.0, -50.0], [102.0, -52.0]])
    net = nf.Network.from_sizes([2, 1], output="linear", seed=0)
    expected = net.predict(StandardScaler().fit(x).transform(x))
    net.preprocessing = StandardScaler().fit(x)
    np.testing.assert_allclose(net.predict(x), expected)
    assert not np.allclose(net.predict(x), net.predict(net.preprocessing.transform(x)))


def test_errors():
    with pytest.raises(ValueError, match="call fit"):
        StandardScaler().transform([[1.0]])
    with pytest.raises(ValueError, match=r"expected shape \(n_samples, 2\), received shape"):
        StandardScaler().fit([[1.0, 2.0]]).transform([[1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match="expected a numeric array"):
        StandardScaler().fit([["a", "b"]])
    with pytest.raises(ValueError, match="at least one sample"):
        StandardScaler().fit(np.zeros((0, 2)))
    with pytest.raises(ValueError, match="row 2, column 1"):
        StandardScaler().fit([[1.0], [np.nan]])
    with pytest.raises(ValueError,
                       match="preprocessing type: expected one of OneHotEncoder, StandardScaler"):
        from_config({"type": "Whitening"}, {})
    with pytest.raises(ValueError, match=r"tensor 'scale' of shape \(2,\)"):
        from_config({"type": "StandardScaler", "n_features": 2},
                    {"mean": np.zeros(2), "scale": np.ones(3)})
    with pytest.raises(ValueError, match="positive scale"):
        from_config({"type": "StandardScaler", "n_features": 1},
                    {"mean": np.zeros(1), "scale": np.zeros(1)})
