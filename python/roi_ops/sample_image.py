"""The demo's built-in image: a small synthetic scene drawn with NumPy (no download, no file in
the package), encoded as PNG bytes as a camera or a web request would deliver it."""
from __future__ import annotations

import io

import numpy as np

WIDTH, HEIGHT = 320, 240

# (shape, centre x, centre y, half size, RGB): a few objects of several sizes, as a detector sees them.
_OBJECTS = [
    ("rect", 70, 80, 40, (220, 60, 50)),
    ("disc", 200, 70, 30, (40, 160, 220)),
    ("disc", 120, 180, 22, (240, 200, 40)),
    ("rect", 250, 170, 45, (60, 180, 90)),
    ("triangle", 290, 50, 18, (170, 80, 200)),
]


def scene(width: int = WIDTH, height: int = HEIGHT) -> np.ndarray:
    """[height, width, 3] uint8 RGB: a vertical gradient with the objects above drawn on it."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    img = np.empty((height, width, 3), np.float32)
    img[..., 0] = 90 + 60 * y / height
    img[..., 1] = 100 + 40 * x / width
    img[..., 2] = 140 - 50 * y / height
    for kind, cx, cy, r, rgb in _OBJECTS:
        if kind == "rect":
            mask = (abs(x - cx) <= r) & (abs(y - cy) <= 0.7 * r)
        elif kind == "disc":
            mask = (x - cx) ** 2 + (y - cy) ** 2 <= r * r
        else:
            mask = (y >= cy - r) & (y <= cy + r) & (abs(x - cx) <= (y - (cy - r)) / 2)
        img[mask] = rgb
    return img.round().astype(np.uint8)


def png_bytes(rgb: np.ndarray) -> np.ndarray:
    """PNG encoding of an [H, W, 3] uint8 RGB image, as a 1-D uint8 array (the pipeline's input)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buf, format="PNG")
    return np.frombuffer(buf.getvalue(), np.uint8)


def decode_png(data: bytes | np.ndarray) -> np.ndarray:
    """[H, W, 3] uint8 RGB from PNG bytes."""
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(bytes(data))).convert("RGB"))
