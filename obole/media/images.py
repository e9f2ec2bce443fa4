"""Reading an uploaded picture safely, and making what is served from it.

1. The format is read from the file's bytes by Pillow; the name and the
   declared Content-Type are ignored. Only JPEG, PNG, GIF and WebP pass.
2. The pixel count is checked from the header before any pixel is decoded,
   so a decompression bomb (a small file that unpacks to gigapixels) is
   refused without using the memory it asks for.
3. The served original is encoded again from the pixels: EXIF (camera,
   date, GPS location), XMP and comments are left behind. A JPEG is first
   turned upright by its EXIF orientation, since that tag goes.
4. A preview (at most 640×640) and a blurhash (what apps show while the
   picture loads) are made from the same pixels.

Video and audio are not accepted: they need transcoding (ffmpeg) in workers
with their own limits, which Obole does not run yet.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import blurhash
from PIL import Image, ImageOps, UnidentifiedImageError

from obole.lib.errors import UserError

FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp"}
PREVIEW_SIDE = 640
# Mastodon downsizes larger pictures to this many pixels (3840×2160) and says so in /api/v2/instance.
MATRIX_LIMIT = 8_294_400
# A blurhash is made from a small copy: the algorithm is quadratic in pixels.
BLURHASH_SIDE = 32
# An animated GIF is kept as it is; its frames together may hold this many screens' worth of pixels.
GIF_FRAMES_FACTOR = 4


@dataclass(frozen=True)
class Encoded:
    data: bytes
    content_type: str
    width: int
    height: int


@dataclass(frozen=True)
class Processed:
    original: Encoded
    preview: Encoded
    blurhash: str


def process(upload: io.IOBase, *, max_pixels: int) -> Processed:
    """Check and re-encode an uploaded picture. Raises UserError (422) for anything refused."""
    image = _open(upload, max_pixels)
    content_type = FORMATS[image.format]
    try:
        if content_type == "image/gif" and getattr(image, "n_frames", 1) > 1:
            if image.n_frames * image.width * image.height > GIF_FRAMES_FACTOR * max_pixels:
                raise UserError("This GIF has too many frames for its size.", status=422)
            original = _animated_gif(image)
            still = image.copy()
        else:
            still = _upright(image)
            if still.width * still.height > MATRIX_LIMIT:
                still.thumbnail(_fit(still.width, still.height, MATRIX_LIMIT), Image.Resampling.LANCZOS)
            original = _encode(still, content_type)
        preview_image = _rgb_or_rgba(still)
        preview_image.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE), Image.Resampling.LANCZOS)
        preview = _encode(preview_image, "image/png" if preview_image.mode == "RGBA" else "image/jpeg")
        return Processed(original=original, preview=preview, blurhash=_blurhash(still))
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        # A header that promises more than the data holds, a broken stream, …
        raise UserError(f"This picture could not be read: {exc}", status=422) from None


def _open(upload: io.IOBase, max_pixels: int) -> Image.Image:
    with warnings.catch_warnings():
        # Pillow only warns between its own limit and twice it; a warning is a refusal here.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(upload, formats=list(FORMATS))
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise UserError(
                f"This picture has too many pixels; at most {max_pixels:,} are accepted.", status=422
            ) from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            image = None
    if image is None:
        raise UserError(
            "This file is not a picture Obole accepts: send a JPEG, PNG, GIF or WebP image "
            "(video and audio are not accepted).",
            status=422,
        )
    if image.width * image.height > max_pixels:
        raise UserError(
            f"This picture has too many pixels ({image.width}×{image.height}); "
            f"at most {max_pixels:,} are accepted.",
            status=422,
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image.load()
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombWarning) as exc:
            raise UserError(f"This picture could not be read: {exc}", status=422) from None
    return image


def _upright(image: Image.Image) -> Image.Image:
    upright = ImageOps.exif_transpose(image)  # a copy, turned as the camera meant
    if upright.mode not in ("RGB", "RGBA", "L", "LA", "P", "1"):
        upright = upright.convert("RGBA" if "A" in upright.getbands() else "RGB")
    return upright


def _fit(width: int, height: int, pixels: int) -> tuple[int, int]:
    scale = (pixels / (width * height)) ** 0.5
    return max(1, int(width * scale)), max(1, int(height * scale))


def _rgb_or_rgba(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        return image.convert("RGBA")
    return image.convert("RGB")


def _encode(image: Image.Image, content_type: str) -> Encoded:
    """Encode from the pixels alone: no EXIF, XMP, comments or other metadata are written."""
    out = io.BytesIO()
    if content_type == "image/jpeg":
        image = image.convert("RGB") if image.mode not in ("RGB", "L") else image
        image.save(out, "JPEG", quality=88, exif=b"")
    elif content_type == "image/png":
        image.save(out, "PNG")
    elif content_type == "image/webp":
        image.save(out, "WEBP", quality=88, exif=b"", xmp=b"")
    else:
        image.save(out, "GIF")
    return Encoded(out.getvalue(), content_type, image.width, image.height)


def _animated_gif(image: Image.Image) -> Encoded:
    """An animated GIF, frames and timing kept (GIFs carry no EXIF; comments are not written)."""
    out = io.BytesIO()
    image.info.pop("comment", None)
    image.save(out, "GIF", save_all=True, loop=image.info.get("loop", 0), duration=image.info.get("duration"))
    return Encoded(out.getvalue(), "image/gif", image.width, image.height)


def _blurhash(image: Image.Image) -> str:
    small = image.convert("RGB")
    small.thumbnail((BLURHASH_SIDE, BLURHASH_SIDE))
    pixels = list(small.get_flattened_data())
    rows = [pixels[y * small.width : (y + 1) * small.width] for y in range(small.height)]
    return blurhash.encode([[list(pixel) for pixel in row] for row in rows], components_x=4, components_y=3)
