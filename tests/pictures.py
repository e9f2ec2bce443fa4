"""Pictures made in the tests with Pillow: real PNG, JPEG and GIF files, one with EXIF and GPS,
a decompression bomb and a file that lies about what it is."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import ExifTags, Image

# Where the EXIF-tagged picture says it was taken: the Eiffel Tower.
LATITUDE = (48.0, 51.0, 29.89)
LONGITUDE = (2.0, 17.0, 40.04)


def png(width: int = 120, height: int = 80, color=(200, 40, 90, 255)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), color).save(out, "PNG")
    return out.getvalue()


def jpeg(width: int = 160, height: int = 90, color=(20, 120, 220), exif: Image.Exif | None = None) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", (width, height), color)
    for x in range(0, width, 8):  # some detail, so the blurhash is not flat
        image.putpixel((x, height // 2), (255, 255, 255))
    image.save(out, "JPEG", exif=exif if exif is not None else b"", quality=90)
    return out.getvalue()


def gps_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Obole Test Camera"
    exif[ExifTags.Base.Orientation] = 1
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = LATITUDE
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = LONGITUDE
    return exif


def jpeg_with_location() -> bytes:
    return jpeg(exif=gps_exif())


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (40, 30), (index * 90, 40, 200 - index * 60)) for index in range(3)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def decompression_bomb(side: int = 50_000) -> bytes:
    """A PNG of a few hundred bytes whose header promises side×side pixels (2.5 gigapixels by default)."""
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1-bit greyscale
    data = zlib.compress(b"\x00" * 1024, 9)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def html_pretending_to_be_png() -> bytes:
    return b"<!doctype html><script>alert(document.cookie)</script>"
