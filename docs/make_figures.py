"""Generate the figures of docs/tutorial.md into docs/figures/ (needs neuroflow[plot]).

Run from the repository root:  python docs/make_figures.py
Everything is seeded, so the figures are the same on every run on the same machine.
The teaching figures are drawn by the very ``neuroflow plot`` commands printed beside
them (run with ``--dpi 80``), so a reader who runs a command gets the figure shown.
"""

from __future__ import annotations

from pathlib import Path

import neuroflow as nf
from neuroflow import plotting
from neuroflow.cli import main as neuroflow_command
from neuroflow.datasets import make_circles, make_moons

OUT = Path(__file__).resolve().parent / "figures"
DPI = 80


def write(figure, name: str) -> None:
    path = plotting.save(figure, OUT / name, dpi=DPI)
    print(f"{path.relative_to(OUT.parent.parent)}  {path.stat().st_size // 1024} KB")


def command(*arguments: str) -> None:
    """Run ``neuroflow plot ...`` writing into docs/figures, as a reader would run it."""
    argv = ["plot", *arguments, "--dpi", str(DPI)]
    for option in ("--out", "--animate"):
        if option in argv:
            index = argv.index(option) + 1
            argv[index] = str(OUT / argv[index])
    print("neuroflow " + " ".join(a if "/" not in a else Path(a).name for a in argv))
    if neuroflow_command(argv) != 0:
        raise SystemExit(f"failed: neuroflow {' '.join(argv)}")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)

    # 1. a small network: neurons, topology, weights
    tiny = nf.Network.from_sizes([2, 3, 1], hidden="tanh", output="sigmoid", seed=0)
    write(plotting.architecture(tiny, figsize=(7, 4)), "architecture_tiny.png")
    mnist_net = nf.Network.from_sizes([784, 32, 16, 10], hidden="relu", seed=0)
    write(plotting.architecture(mnist_net, max_neurons=7, figsize=(7.5, 4.2)),
          "architecture_mnist.png")

    # 2. activations; the cost along the most informative weight, gradient descent with
    #    learning rates labelled by what they did; the cost over two weights with the path
    #    of SGD (and its animation); what each neuron of a 2-D network computes
    command("activations", "--out", "activations.png")
    command("cost-weight", "--out", "cost_vs_weight.png")
    command("landscape", "--out", "landscape.png", "--animate", "landscape.gif")
    command("neurons", "--out", "neurons_moons.png")
    x, y = make_moons(200, noise=0.15, seed=0)

    # 3. a decision boundary taking shape on two 2-D data sets
    moons_net = nf.Network.from_sizes([2, 16, 16, 2], hidden="tanh", seed=0)
    write(plotting.decision_boundary_over_time(moons_net, x, y, epochs=(0, 5, 20, 100),
                                               resolution=80, figsize=(12, 3.4),
                                               learning_rate=0.01, batch_size=32),
          "boundary_moons.png")
    xc, yc = make_circles(200, noise=0.05, seed=0)
    circles_net = nf.Network.from_sizes([2, 16, 16, 2], hidden="tanh", seed=0)
    write(plotting.decision_boundary_over_time(circles_net, xc, yc, epochs=(0, 5, 20, 100),
                                               resolution=80, figsize=(12, 3.4),
                                               learning_rate=0.01, batch_size=32),
          "boundary_circles.png")

    # 4. MNIST: learning curves, confusion matrix, first-layer weights, mistakes
    x_train, y_train, x_test, y_test = nf.datasets.mnist()
    digits = nf.Network.from_sizes([784, 64, 10], hidden="relu", seed=0)
    history = digits.fit(x_train[:12000], y_train[:12000], epochs=8, batch_size=64,
                         learning_rate=1e-3, validation_split=1 / 6, verbose=0)
    write(plotting.learning_curves(history, figsize=(12, 3.4)), "learning_curves.png")
    write(plotting.confusion_matrix(y_test, digits.predict_classes(x_test), n_classes=10,
                                    figsize=(6, 5)), "confusion_matrix.png")
    write(plotting.first_layer_weights(digits, max_images=36, figsize=(5.8, 6.2)),
          "first_layer_weights.png")
    write(plotting.neurons(digits, x_train[:12000], y_train[:12000], max_neurons=16,
                           figsize=(6.4, 6.8)), "neurons_mnist.png")
    write(plotting.misclassified(digits, x_test[:1000], y_test[:1000], max_images=16,
                                 figsize=(5, 5.4)), "misclassified.png")


if __name__ == "__main__":
    main()
