"""Fixtures of the layer tests."""

from __future__ import annotations

import pytest

from neuroflow import kernels


@pytest.fixture(params=["numba", "numpy"])
def kernel_choice(request):
    """Each test run with the compiled loops and with the NumPy code (as
    ``NEUROFLOW_KERNELS=numpy``); the choice is restored afterwards."""
    saved = kernels._choice
    kernels.use(request.param)
    yield request.param
    kernels.use(saved)
