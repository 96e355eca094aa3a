"""Speed harness comparing neuroflow with PyTorch (CPU) and scikit-learn on MNIST.

Run ``python -m benchmarks`` (or ``make bench``); see :mod:`benchmarks.run`. On a GPU:
``python -m benchmarks.gpu`` (``make bench-gpu``), neuroflow on CuPy against PyTorch-CUDA
and JAX-GPU; see :mod:`benchmarks.gpu`.
"""
