"""Speed harness comparing neuroflow with PyTorch (CPU) and scikit-learn on MNIST.

Run ``python -m benchmarks`` (or ``make bench``); see :mod:`benchmarks.run`.
"""
