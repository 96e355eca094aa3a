"""Images through Pillow (``nf.datasets.read_image``, ``load_images``): formats, bit depths,
transparency, polarity, size checks before decoding, and one-line errors naming the file.

Finding numbers refer to the reliability review (reliability.md, sections B, C and D)."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest
from PIL import Image, ImageFile

from neuroflow.datasets import load_images, mnist_polarity, read_image
from neuroflow.errors import DatasetError


def digit() -> np.ndarray:
    """A 28x28 uint8 'seven': light strokes (ink) on black, like MNIST."""
    image = np.zeros((28, 28), dtype=np.uint8)
    image[5:8, 6:22] = 255
    for row in range(8, 23):
        image[row, 20 - (row - 8) // 2:23 - (row - 8) // 2] = 255
    return image


@pytest.fixture
def no_decoding(monkeypatch):
    """``arm()`` makes any decoding of pixel data (Image.load, ImageFile.load) fail the
    test and returns the list of images it was attempted on."""
    calls: list = []

    def refuse(self, *args, **kwargs):
        calls.append(self)
        raise AssertionError("pixel data was decoded")

    def arm():
        monkeypatch.setattr(Image.Image, "load", refuse)
        monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)
        return calls

    return arm


# ---------------------------------------------------------------------------- C.19: huge images
def test_c19_huge_png_is_refused_from_its_header_before_decoding(tmp_path, no_decoding):
    """C.19: 0.1 decoded a 4096x4096 PNG fully (38.7 s with Paeth rows) before refusing it."""
    path = tmp_path / "huge.png"
    pixels = np.zeros((4096, 4096), dtype=np.uint8)
    pixels[::7] = 200
    Image.fromarray(pixels).save(path)
    decoded = no_decoding()
    start = time.perf_counter()
    with pytest.raises(DatasetError, match=r"huge.png': expected a 28x28 image, received "
                                           r"4096x4096"):
        read_image(path, size=(28, 28))
    elapsed = time.perf_counter() - start
    assert decoded == []
    print(f"4096x4096 PNG refused in {elapsed * 1000:.2f} ms")  # shown with pytest -s


def test_c19_max_pixels_is_checked_before_decoding(tmp_path, no_decoding):
    path = tmp_path / "wide.png"
    Image.new("L", (300, 200)).save(path)
    decoded = no_decoding()
    with pytest.raises(DatasetError, match=r"expected at most 50000 pixels, received 300x200"):
        read_image(path, max_pixels=50_000)
    assert decoded == []


def test_c19_load_images_refuses_a_size_mismatch_before_decoding(tmp_path, monkeypatch):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    Image.fromarray(digit()).save(tmp_path / "a" / "1.png")
    Image.new("L", (2048, 2048)).save(tmp_path / "b" / "1.png")
    decoded = []
    original = ImageFile.ImageFile.load

    def counting(self, *args, **kwargs):
        decoded.append(self.size)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ImageFile.ImageFile, "load", counting)
    with pytest.raises(DatasetError, match=r"b/1.png': expected a 28x28 image like '.*a/1.png', "
                                           r"received 2048x2048"):
        load_images(tmp_path)
    assert (2048, 2048) not in decoded


def test_decompression_bomb_limit_of_pillow_becomes_a_dataset_error(tmp_path, monkeypatch):
    path = tmp_path / "bomb.png"
    Image.new("L", (100, 100)).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # Pillow warns above, errors at 2x
    with pytest.raises(DatasetError, match="bomb.png': refused as a decompression bomb"):
        read_image(path)


# ---------------------------------------------------------------------------- formats
def save(tmp_path, name, image, **options):
    path = tmp_path / name
    image.save(path, **options)
    return path


@pytest.mark.parametrize("kind", ["L", "RGB", "P", "I;16", "1", "LA", "RGBA"])
def test_png_modes_and_bit_depths(tmp_path, kind):
    ink = digit()
    if kind == "I;16":
        image = Image.fromarray(ink.astype(np.uint16) * 257)
    elif kind == "1":
        image = Image.fromarray(ink).convert("1")
    else:
        image = Image.fromarray(ink).convert(kind)
    grey = read_image(save(tmp_path, f"{kind.replace(';', '')}.png", image))
    np.testing.assert_allclose(grey, ink / 255.0, atol=1e-6)


@pytest.mark.parametrize(("name", "tolerance"), [("d.bmp", 1e-6), ("d.gif", 1e-6),
                                                 ("d.jpg", 0.2), ("d.jpeg", 0.2)])
def test_other_formats(tmp_path, name, tolerance):
    ink = digit()
    grey = read_image(save(tmp_path, name, Image.fromarray(ink).convert("RGB")))
    assert grey.shape == (28, 28)
    assert np.abs(grey - ink / 255.0).mean() < tolerance / 4
    assert np.abs(grey - ink / 255.0).max() <= max(tolerance, 0.8)  # JPEG rings at edges


def test_animated_gif_uses_the_first_frame(tmp_path):
    first, second = Image.fromarray(digit()), Image.fromarray(255 - digit())
    path = tmp_path / "anim.gif"
    first.save(path, save_all=True, append_images=[second])
    np.testing.assert_allclose(read_image(path), digit() / 255.0, atol=1e-6)


def test_palette_transparency_and_rgb_output(tmp_path):
    rgba = np.zeros((4, 4, 4), dtype=np.uint8)
    rgba[:2, :, :3] = (255, 0, 0)
    rgba[:2, :, 3] = 255  # top half opaque red, bottom half transparent
    path = save(tmp_path, "p.png", Image.fromarray(rgba, "RGBA").convert("P"))
    rgb = read_image(path, color="rgb")
    assert rgb.shape == (4, 4, 3)
    np.testing.assert_allclose(rgb[0, 0], [1, 0, 0], atol=1e-6)
    # red ink is dark (luma 0.299): the transparent part becomes white
    np.testing.assert_allclose(rgb[3, 3], [1, 1, 1], atol=1e-6)


# ---------------------------------------------------------------------------- B.10: transparency
def test_b10_dark_ink_on_transparent_background_becomes_a_visible_digit(tmp_path):
    """B.10: 0.1 blended alpha over black, so black ink on a transparent background (what
    drawing apps and HTML canvases export) became an all-zero image."""
    ink = digit()
    rgba = np.zeros((28, 28, 4), dtype=np.uint8)  # black everywhere, alpha = ink
    rgba[:, :, 3] = ink
    grey = read_image(save(tmp_path, "canvas.png", Image.fromarray(rgba, "RGBA")))
    assert grey.mean() > 0.5  # dark ink on white
    mnist_like, inverted = mnist_polarity(grey)
    assert inverted
    np.testing.assert_allclose(mnist_like, ink / 255.0, atol=1e-6)


def test_b10_light_ink_on_transparent_background_stays_light_on_dark(tmp_path):
    ink = digit()
    rgba = np.full((28, 28, 4), 255, dtype=np.uint8)  # white everywhere, alpha = ink
    rgba[:, :, 3] = ink
    grey = read_image(save(tmp_path, "light.png", Image.fromarray(rgba, "RGBA")))
    mnist_like, inverted = mnist_polarity(grey)
    assert not inverted
    np.testing.assert_allclose(mnist_like, ink / 255.0, atol=1e-6)


def test_polarity_rule():
    light = np.full((2, 2), 0.9)
    assert mnist_polarity(light)[1] and not mnist_polarity(1 - light)[1]
    assert mnist_polarity(1 - light, "yes")[1] and not mnist_polarity(light, "no")[1]
    np.testing.assert_allclose(mnist_polarity(light)[0], 0.1)
    with pytest.raises(ValueError, match="invert: expected 'auto', 'yes' or 'no'"):
        mnist_polarity(light, "maybe")


def test_load_images_applies_the_same_polarity_rule(tmp_path):
    for name in ("dark_paper", "white_paper"):
        (tmp_path / name).mkdir()
    Image.fromarray(digit()).save(tmp_path / "dark_paper" / "a.png")
    Image.fromarray(255 - digit()).save(tmp_path / "white_paper" / "b.jpg", quality=100)
    inverted = []
    data = load_images(tmp_path, on_invert=inverted.append)
    assert [p.name for p in inverted] == ["b.jpg"]
    assert np.abs(data.x[0] - data.x[1]).max() < 0.2  # both light-on-dark now
    kept = load_images(tmp_path, invert="no")
    assert kept.x[1].mean() > 0.5
    with pytest.raises(ValueError, match="invert: expected"):
        load_images(tmp_path, invert="sometimes")


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize(("content", "fragment"), [
    (b"this is not an image", "expected a PNG, JPEG, BMP or GIF image"),
    (b"", "expected a PNG, JPEG, BMP or GIF image"),
    (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 28 28\n", "expected a PNG, JPEG"),
])
def test_not_an_image(tmp_path, content, fragment):
    path = tmp_path / "x.png"
    path.write_bytes(content)
    with pytest.raises(DatasetError, match=f"x.png': {fragment}") as error:
        read_image(path)
    assert "\n" not in str(error.value)


def test_d26_truncated_or_corrupted_png_is_one_line_naming_the_file(tmp_path):
    """D.26: 0.1 gave NumPy's 'cannot reshape array of size 4 into shape (3)' for a bad
    PLTE, and load_images raised a plain ValueError."""
    path = save(tmp_path, "cut.png", Image.fromarray(np.arange(784, dtype=np.uint16)
                                                     .reshape(28, 28).astype(np.uint8)))
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(DatasetError, match=r"cut.png': truncated or corrupted image") as error:
        read_image(path)
    assert "\n" not in str(error.value)
    palette = save(tmp_path, "pal.png", Image.fromarray(digit()).convert("P"))
    raw = bytearray(palette.read_bytes())
    at = raw.index(b"PLTE")
    raw[at + 4] ^= 0xFF  # break the palette chunk's CRC
    palette.write_bytes(bytes(raw))
    with pytest.raises(DatasetError, match=r"pal.png': "):
        read_image(palette)


def test_images_must_be_regular_files(tmp_path):
    with pytest.raises(DatasetError, match="expected a file, received a directory"):
        read_image(tmp_path)
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    with pytest.raises(DatasetError, match="pipe.png': expected a regular file, received a "
                                           "named pipe"):
        read_image(fifo)
    with pytest.raises(DatasetError, match="absent.png': no such file"):
        read_image(tmp_path / "absent.png")


def test_memory_error_while_decoding_names_the_file(tmp_path, monkeypatch):
    path = save(tmp_path, "m.png", Image.fromarray(digit()))

    def exhausted(self, *args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(ImageFile.ImageFile, "load", exhausted)
    with pytest.raises(DatasetError, match="m.png': not enough memory to read it"):
        read_image(path)
