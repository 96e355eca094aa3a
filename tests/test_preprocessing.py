import numpy as np
import pytest

import neuroflow as nf
from neuroflow.preprocessing import OneHotEncoder, Pipeline, StandardScaler, from_config


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
    with pytest.raises(ValueError, match="preprocessing type: expected one of "
                                         "OneHotEncoder, Pipeline, StandardScaler"):
        from_config({"type": "Whitening"}, {})
    with pytest.raises(ValueError, match=r"tensor 'scale' of shape \(2,\)"):
        from_config({"type": "StandardScaler", "n_features": 2},
                    {"mean": np.zeros(2), "scale": np.ones(3)})
    with pytest.raises(ValueError, match="positive scale"):
        from_config({"type": "StandardScaler", "n_features": 1},
                    {"mean": np.zeros(1), "scale": np.zeros(1)})


def test_pipeline_applies_its_steps_in_turn_and_round_trips():
    table = {"colour": np.array(["red", "blue", "red"], dtype=object),
             "size": np.array([1.0, 2.0, 6.0])}
    encoder = OneHotEncoder().fit(table)
    assert encoder.feature_names_out == ["colour=blue", "colour=red", "size"]
    encoded = encoder.transform(table)
    pipeline = Pipeline([encoder, StandardScaler().fit(encoded)])
    expected = (encoded - encoded.mean(axis=0)) / encoded.std(axis=0)
    np.testing.assert_allclose(pipeline.transform(table), expected)
    # an object array (columns by position) holding numbers in the numeric column
    rows = np.array([["red", 1.0], ["blue", 2.0], ["red", 6.0]], dtype=object)
    np.testing.assert_allclose(pipeline.transform(rows), expected)
    rebuilt = from_config(pipeline.get_config(), pipeline.state())
    assert sorted(pipeline.state()) == ["1.mean", "1.scale"]
    np.testing.assert_array_equal(rebuilt.transform(rows), pipeline.transform(rows))
    assert rebuilt.n_features == 3


def test_unknown_category_names_the_column_and_the_value():
    encoder = OneHotEncoder().fit({"colour": np.array(["red", "blue"], dtype=object)})
    with pytest.raises(ValueError, match=r"x column 'colour': unknown class labels "
                                         r"\['purple'\], categories not seen in training "
                                         r"\(known: 'blue', 'red'\)"):
        encoder.transform(np.array([["red"], ["purple"]], dtype=object))
    with pytest.raises(ValueError, match="x column 'colour'"):  # the fitted name, by position
        OneHotEncoder().fit({"colour": np.array([1.0, 2.0])}).transform(
            np.array([["one"]], dtype=object))


def test_pipeline_config_errors():
    for config in ({"type": "Pipeline"}, {"type": "Pipeline", "steps": []},
                   {"type": "Pipeline", "steps": [{"type": "Pipeline", "steps": []}]}):
        with pytest.raises(ValueError, match="Pipeline config: expected steps as a non-empty"):
            from_config(config, {})
    with pytest.raises(ValueError, match=r"tensor 'mean' of shape \(2,\)"):
        from_config({"type": "Pipeline", "steps": [
            {"type": "StandardScaler", "n_features": 2}]}, {"0.mean": np.zeros(3)})
    assert Pipeline().n_features is None
