"""What "same seed, same numbers" promises (README, "Same seed, same numbers"): bit for bit
on one arithmetic (the same machine, BLAS kernel, thread count and kernel path); within a
stated tolerance across arithmetics. One network is trained in fresh processes under each
arithmetic this machine offers: the numba and the NumPy kernels, one and two BLAS threads.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import neuroflow as nf

TRAIN = """
import sys
import numpy as np
import neuroflow as nf
with np.load(sys.argv[2]) as data:
    x, y, x_test, y_test = (data[key] for key in ("x", "y", "x_test", "y_test"))
net = nf.Network.from_sizes([784, 64, 10], seed=0)
net.fit(x, y, epochs=3, batch_size=64, verbose=0)
np.savez(sys.argv[1], W0=net.layers[0].params["W"], W1=net.layers[1].params["W"],
         b1=net.layers[1].params["b"], accuracy=net.evaluate(x_test, y_test)["accuracy"])
"""

#: The stated tolerance across arithmetics (README): every weight within this much of the
#: largest weight's magnitude, and test accuracy within half a point.
WEIGHT_TOLERANCE = 1e-4
ACCURACY_TOLERANCE = 0.005

ARITHMETICS = {
    "numba, 2 BLAS threads": {"NEUROFLOW_KERNELS": "auto", "OPENBLAS_NUM_THREADS": "2"},
    "numba, 1 BLAS thread": {"NEUROFLOW_KERNELS": "auto", "OPENBLAS_NUM_THREADS": "1"},
    "numpy, 1 BLAS thread": {"NEUROFLOW_KERNELS": "numpy", "OPENBLAS_NUM_THREADS": "1"},
}


def _train(folder, name: str, settings: dict[str, str]) -> dict[str, np.ndarray]:
    path = folder / f"{name.replace(' ', '_').replace(',', '')}.npz"
    environment = {**os.environ, **settings, "OMP_NUM_THREADS": settings["OPENBLAS_NUM_THREADS"]}
    subprocess.run([sys.executable, "-c", TRAIN, str(path), str(folder / "mnist.npz")],
                   check=True, env=environment, timeout=300)
    with np.load(path, allow_pickle=False) as saved:
        return {key: saved[key] for key in saved.files}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, dict[str, np.ndarray]]:
    folder = tmp_path_factory.mktemp("arithmetics")
    x, y, x_test, y_test = nf.datasets.mnist()  # 2,000 images of each split, read once
    np.savez(folder / "mnist.npz", x=x[:2000], y=y[:2000], x_test=x_test[:2000],
             y_test=y_test[:2000])
    done = {name: _train(folder, name, settings) for name, settings in ARITHMETICS.items()}
    done["numba, 2 BLAS threads, again"] = _train(folder, "again",
                                                  ARITHMETICS["numba, 2 BLAS threads"])
    return done


def test_one_arithmetic_gives_the_same_bits(runs) -> None:
    first, again = runs["numba, 2 BLAS threads"], runs["numba, 2 BLAS threads, again"]
    for key in first:
        np.testing.assert_array_equal(first[key], again[key], err_msg=key)


@pytest.mark.parametrize("other", ["numba, 1 BLAS thread", "numpy, 1 BLAS thread"])
def test_other_arithmetics_agree_within_the_stated_tolerance(runs, other) -> None:
    reference, run = runs["numba, 2 BLAS threads"], runs[other]
    for key in ("W0", "W1", "b1"):
        scale = float(np.max(np.abs(reference[key])))
        difference = float(np.max(np.abs(run[key] - reference[key])))
        assert difference <= WEIGHT_TOLERANCE * scale, (
            f"{other}: {key} differs by {difference:.3g}, more than {WEIGHT_TOLERANCE} of "
            f"its largest magnitude {scale:.3g}")
    assert abs(float(run["accuracy"]) - float(reference["accuracy"])) <= ACCURACY_TOLERANCE
