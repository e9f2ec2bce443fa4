"""How long Obole takes to check and re-encode an uploaded picture (obole.media.images.process).

Run: `.venv/bin/python bench/media.py`. It makes the pictures itself (a noisy
12-megapixel JPEG like a phone photo, a 1200×800 PNG, a decompression bomb)
and prints the median of a few runs of each. Uploads are processed while the
request waits, so this is the time an upload adds to its request.
"""

from __future__ import annotations

import contextlib
import io
import statistics
import sys
import time
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from obole.lib.errors import UserError  # noqa: E402
from obole.media import images  # noqa: E402
from tests.pictures import decompression_bomb  # noqa: E402

MAX_PIXELS = 33_177_600


def picture(kind: str, size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    image = Image.effect_noise(size, 64).convert("RGB")
    image.save(out, kind, **({"quality": 90} if kind == "JPEG" else {}))
    return out.getvalue()


def median_ms(data: bytes, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        with contextlib.suppress(UserError):  # the bomb is refused: that is what is timed
            images.process(io.BytesIO(data), max_pixels=MAX_PIXELS)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    cases = [
        ("12 MP JPEG (4000×3000, scaled to 3325×2494)", picture("JPEG", (4000, 3000)), 3),
        ("1200×800 PNG", picture("PNG", (1200, 800)), 5),
        ("decompression bomb (50000×50000 PNG header)", decompression_bomb(), 20),
    ]
    for label, data, runs in cases:
        print(f"{label}: {len(data):,} bytes, median {median_ms(data, runs):.0f} ms over {runs} runs")


if __name__ == "__main__":
    main()
