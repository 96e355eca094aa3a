"""``plot filters`` and ``plot feature-maps``: the figures draw exactly the first
convolution's kernels and the layer outputs of one image, and the CLI writes them (or
refuses a dense model in one line)."""

import numpy as np
import pytest

# optional extra (pip install 'neuroflow[plot]'): skip, rather than fail at run time
pytest.importorskip("matplotlib")

import neuroflow as nf  # noqa: E402
from neuroflow import cli, plotting  # noqa: E402


def _images(axes):
    """The arrays drawn in ``axes``, in order, one per image drawn."""
    return [np.asarray(ax.images[0].get_array(), dtype=np.float64) for ax in axes
            if ax.images]


@pytest.fixture(scope="module")
def mnist_cnn():
    """A small conv net trained for a few steps on 200 MNIST images, and 3 test images."""
    x_train, y_train, x_test, _ = nf.datasets.mnist()
    net = nf.Network([nf.Conv2D(4, 3, input_shape=(1, 28, 28), activation="relu"),
                      nf.MaxPool2D(2),
                      nf.Conv2D(6, 3, activation="relu"),
                      nf.AvgPool2D(2),
                      nf.Flatten(),
                      nf.Dense(150, 10, activation="softmax")], seed=0)
    net.fit(x_train[:200], y_train[:200], epochs=1, batch_size=50, verbose=0,
            optimizer="adam")
    return net, x_test[:3]


def test_filters_draw_every_kernel_of_the_first_convolution(mnist_cnn):
    net, _ = mnist_cnn
    figure = plotting.conv_filters(net)
    kernels = net.layers[0].params["W"]
    drawn = _images(figure.axes)
    assert len(drawn) == 4
    for f, image in enumerate(drawn):
        np.testing.assert_array_equal(image, kernels[f, 0])
    first = next(ax for ax in figure.axes if ax.images).images[0]
    assert first.cmap.name == "neuroflow_sign"        # the sign colours of every figure
    low, high = first.get_clim()
    assert low == -high == -np.abs(kernels).max()      # one scale, symmetric about 0
    assert "all 4 3x3 kernels" in figure._suptitle.get_text()
    assert len(_images(plotting.conv_filters(net, max_filters=3).axes)) == 3


def test_filters_of_colour_images_show_the_channels_side_by_side():
    net = nf.Network([nf.Conv2D(2, 2, input_shape=(3, 5, 5)), nf.GlobalAveragePooling2D(),
                      nf.Dense(2, 2, activation="softmax")], seed=1)
    kernels = net.layers[0].params["W"]
    drawn = _images(plotting.conv_filters(net).axes)
    gap = np.full((2, 1), np.nan)
    for f, image in enumerate(drawn):
        expected = np.hstack([kernels[f, 0], gap, kernels[f, 1], gap, kernels[f, 2]])
        np.testing.assert_array_equal(image, expected)


def test_feature_maps_are_the_layer_outputs_of_the_image(mnist_cnn):
    net, x = mnist_cnn
    outputs = net.layer_outputs(x[2:3])
    figure = plotting.feature_maps(net, x[2])
    grid = figure.axes
    columns = 6  # the widest layer
    rows = [grid[r * columns:(r + 1) * columns] for r in range(len(grid) // columns)]
    assert len(rows) == 1 + 4  # the input, then the two convolutions and two poolings
    np.testing.assert_array_equal(_images(rows[0])[0], x[2].reshape(28, 28))
    for row, layer in zip(rows[1:], range(4)):
        expected = outputs[layer][0]
        drawn = _images(row)
        assert len(drawn) == expected.shape[0]
        for channel, image in enumerate(drawn):
            np.testing.assert_array_equal(image, expected[channel])
    # the same image as (28, 28), as a batch of one or as (1, 1, 28, 28): the same maps
    first_maps = [image for r in rows for image in _images(r[:2])]
    for same in (x[2].reshape(28, 28), x[2:3], x[2].reshape(1, 1, 28, 28)):
        again = _images(plotting.feature_maps(net, same, max_maps=2).axes)
        assert len(again) == 1 + 4 * 2
        assert all(np.array_equal(a, b) for a, b in zip(again, first_maps, strict=True))


def test_a_dense_network_is_refused_naming_the_conv2d_it_needs():
    net = nf.Network.from_sizes([784, 8, 10], seed=0)
    for draw in (lambda: plotting.conv_filters(net),
                 lambda: plotting.feature_maps(net, np.zeros(784))):
        with pytest.raises(ValueError, match=r"a Conv2D layer.*only Dense layers"):
            draw()
    cnn = nf.Network([nf.Conv2D(1, 3, input_shape=(1, 5, 5)), nf.Flatten(),
                      nf.Dense(9, 2, activation="softmax")], seed=0)
    with pytest.raises(ValueError, match=r"expected one input of shape \(1, 5, 5\)"):
        plotting.feature_maps(cnn, np.zeros(24))


def test_cli_writes_both_pngs_and_refuses_a_dense_model(mnist_cnn, idx_dir, tmp_path,
                                                        capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the default --out lands here, writable for any user
    net, _ = mnist_cnn
    model, dense = tmp_path / "cnn.safetensors", tmp_path / "dense.safetensors"
    net.save(str(model))
    nf.Network.from_sizes([784, 8, 10], seed=0).save(str(dense))
    filters, maps = tmp_path / "filters.png", tmp_path / "maps.png"
    assert cli.main(["plot", "filters", str(model), "--out", str(filters), "--dpi", "40"]) == 0
    assert cli.main(["plot", "feature-maps", str(model), "--sample", "5", "--data",
                     str(idx_dir), "--out", str(maps), "--dpi", "40"]) == 0
    for path in (filters, maps):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"wrote {filters}" in capsys.readouterr().out
    assert cli.main(["plot", "filters", str(dense), "--out", str(tmp_path / "no.png")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "expected a convolutional network (a Conv2D layer" in error
    assert "dense.safetensors has no Conv2D layer" in error
    assert not (tmp_path / "no.png").exists()
    assert cli.main(["plot", "feature-maps", str(model), "--sample", "20", "--data",
                     str(idx_dir), "--out", str(maps)]) == 2
    assert "--sample: expected an index below 20" in capsys.readouterr().err
    assert cli.main(["plot", "weights", str(model), "--sample", "1"]) == 2
    assert "only plot feature-maps draws one sample" in capsys.readouterr().err


def test_help_names_the_new_kinds(capsys):
    assert cli.main(["plot", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "filters (every kernel" in text and "feature-maps (each convolution" in text
    assert "--sample N" in text
