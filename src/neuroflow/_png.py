"""A small PNG decoder (standard library zlib only) for feeding images to a model.

Supports non-interlaced PNGs of colour type 0 (grey), 2 (RGB), 3 (palette, 8-bit),
4 (grey + alpha) and 6 (RGBA) at bit depth 8 or 16, which covers what drawing programs
and ``matplotlib.pyplot.imsave`` write. Chunk CRCs are checked.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import numpy as np

__all__ = ["PNGError", "read_png", "decode_png", "to_grayscale"]

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
#: Largest image accepted, in pixels (protects against decompression bombs).
MAX_PIXELS = 1 << 24


class PNGError(ValueError):
    """The bytes are not a PNG this decoder supports."""


def read_png(path: str | os.PathLike[str]) -> np.ndarray:
    """Decode the PNG file at ``path``; see :func:`decode_png`."""
    return decode_png(Path(path).read_bytes())


def decode_png(data: bytes) -> np.ndarray:
    """Decode PNG bytes to ``uint8 (height, width, channels)`` (palette images expanded).

    Raises
    ------
    PNGError
        For a foreign, truncated or corrupted file, or an unsupported variant.
    """
    if data[:8] != SIGNATURE:
        raise PNGError("not a PNG file (bad signature)")
    position = 8
    header = None
    palette = None
    compressed = []
    while True:
        if position + 8 > len(data):
            raise PNGError("truncated PNG file (no IEND chunk)")
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        end = position + 8 + length
        if end + 4 > len(data):
            raise PNGError(f"truncated PNG file (chunk {kind!r} runs past the end)")
        body = data[position + 8:end]
        (crc,) = struct.unpack(">I", data[end:end + 4])
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            raise PNGError(f"corrupted PNG file (bad CRC in chunk {kind!r})")
        position = end + 4
        if kind == b"IHDR":
            if length != 13:
                raise PNGError("corrupted PNG file (IHDR chunk of the wrong size)")
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"PLTE":
            palette = np.frombuffer(body, dtype=np.uint8).reshape(-1, 3)
        elif kind == b"IDAT":
            compressed.append(body)
        elif kind == b"IEND":
            break
    if header is None:
        raise PNGError("corrupted PNG file (no IHDR chunk)")
    width, height, depth, colour, compression, filtering, interlace = header
    if colour not in _CHANNELS or depth not in (8, 16) or (colour == 3 and depth != 8):
        raise PNGError(f"unsupported PNG: colour type {colour} at bit depth {depth} (supported: "
                       "grey, RGB, palette, grey+alpha, RGBA at 8 bits; 16 bits except palette)")
    if interlace != 0 or compression != 0 or filtering != 0:
        raise PNGError("unsupported PNG: interlaced or non-standard compression")
    if not 0 < width * height <= MAX_PIXELS:
        raise PNGError(f"unsupported PNG: {width}x{height} pixels")
    if colour == 3 and palette is None:
        raise PNGError("corrupted PNG file (palette image without PLTE chunk)")
    channels = _CHANNELS[colour]
    pixel_bytes = channels * depth // 8
    stride = width * pixel_bytes
    expected = height * (stride + 1)
    try:
        decompressor = zlib.decompressobj()
        raw = decompressor.decompress(b"".join(compressed), expected + 1)
    except zlib.error as error:
        raise PNGError(f"corrupted PNG file (image data: {error})") from None
    if len(raw) != expected:
        raise PNGError(f"corrupted PNG file (image data holds {len(raw)} bytes, "
                       f"{width}x{height} pixels need {expected})")
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(height, stride + 1)
    image = _unfilter(rows, pixel_bytes)
    if depth == 16:
        image = image.reshape(height, width * channels, 2)[:, :, 0]  # high byte
    image = image.reshape(height, width, channels)
    if colour == 3:
        index = image[:, :, 0]
        if index.max() >= palette.shape[0]:  # type: ignore[union-attr]
            raise PNGError("corrupted PNG file (palette index out of range)")
        image = palette[index]  # type: ignore[index]
    return np.ascontiguousarray(image)


def _unfilter(rows: np.ndarray, pixel_bytes: int) -> np.ndarray:
    """Undo the per-row filters (none, sub, up, average, Paeth) of PNG scanlines."""
    height, width = rows.shape[0], rows.shape[1] - 1
    out = np.zeros((height, width), dtype=np.uint8)
    previous = np.zeros(width, dtype=np.int32)
    for y in range(height):
        kind = int(rows[y, 0])
        line = rows[y, 1:].astype(np.int32)
        if kind == 0:
            current = line
        elif kind == 1:  # sub: cumulative sum of each byte position within a pixel
            pad = (-width) % pixel_bytes
            grid = np.concatenate([line, np.zeros(pad, np.int32)]).reshape(-1, pixel_bytes)
            current = (np.cumsum(grid, axis=0) % 256).reshape(-1)[:width]
        elif kind == 2:  # up
            current = (line + previous) % 256
        elif kind in (3, 4):
            current = np.zeros(width, dtype=np.int32)
            for i in range(width):
                left = int(current[i - pixel_bytes]) if i >= pixel_bytes else 0
                up = int(previous[i])
                if kind == 3:
                    predicted = (left + up) // 2
                else:
                    upper_left = int(previous[i - pixel_bytes]) if i >= pixel_bytes else 0
                    p = left + up - upper_left
                    pa, pb, pc = abs(p - left), abs(p - up), abs(p - upper_left)
                    predicted = left if pa <= pb and pa <= pc else (up if pb <= pc
                                                                    else upper_left)
                current[i] = (int(line[i]) + predicted) % 256
        else:
            raise PNGError(f"corrupted PNG file (unknown row filter {kind})")
        out[y] = current
        previous = current
    return out


def to_grayscale(image: np.ndarray) -> np.ndarray:
    """``float64 (height, width)`` brightness in [0, 1] from :func:`decode_png` output.

    RGB uses the ITU-R 601 luma weights ``0.299 R + 0.587 G + 0.114 B``; an alpha
    channel blends the pixel over a black background.
    """
    pixels = image.astype(np.float64) / 255.0
    channels = pixels.shape[2]
    alpha = pixels[:, :, -1] if channels in (2, 4) else 1.0
    colour = pixels[:, :, :3] if channels >= 3 else pixels[:, :, :1]
    grey = colour @ np.array([0.299, 0.587, 0.114]) if colour.shape[2] == 3 else colour[:, :, 0]
    return grey * alpha
