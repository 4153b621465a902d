"""Uploaded materials checked by their content: the type sniffed from the bytes (not the name or the
declared type), size limits, image dimensions; then stored once by SHA-256 and recorded for its owner."""

from __future__ import annotations

import asyncio
import hashlib
import io
import uuid
from dataclasses import dataclass
from typing import Any

import filetype
from PIL import Image, UnidentifiedImageError

from server.applications.errors import Invalid, NotFound, TooLarge, Unsupported
from server.files import FileStore
from server.models import Upload

ACCEPTED = {"image/jpeg": "JPEG", "image/png": "PNG", "application/pdf": "PDF"}
MIN_SIDE = 200  # pixels: smaller photos of a document cannot be read
MAX_SIDE = 10_000
MAX_PIXELS = 50_000_000


@dataclass(frozen=True)
class Checked:
    content_type: str
    width: int | None
    height: int | None


def _image_size(data: bytes, expected_format: str) -> tuple[int, int]:
    """Decode the image headers and verify the file's structure; ValueError when it is not that image."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != expected_format:
                raise ValueError(f"the bytes are {image.format}, not {expected_format}")
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ValueError("the image has too many pixels")
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ValueError("the image is damaged or not an image") from exc
    return width, height


def _check_pdf(data: bytes) -> None:
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-2048:]:
        raise ValueError("the PDF is damaged or incomplete")


def check(data: bytes, declared_type: str | None, max_bytes: int) -> Checked:
    """What the file really is, or the domain error saying why it is refused (CPU: run in an executor)."""
    if not data:
        raise Invalid("empty_file", "The file is empty.")
    if len(data) > max_bytes:
        raise TooLarge("file_too_large", f"The file is larger than {max_bytes // (1024 * 1024)} MB.")
    guess = filetype.guess(data)
    sniffed = guess.mime if guess else None
    if sniffed not in ACCEPTED:
        raise Unsupported("unsupported_file_type", "Only JPEG or PNG photos and PDF files are accepted.")
    declared = (declared_type or "").split(";")[0].strip().lower()
    if declared and declared != "application/octet-stream" and declared != sniffed:
        raise Unsupported(
            "file_type_mismatch", f"The file says it is {declared} but its content is {sniffed}."
        )
    if sniffed == "application/pdf":
        try:
            _check_pdf(data)
        except ValueError as exc:
            raise Unsupported("damaged_file", str(exc)) from exc
        return Checked(sniffed, None, None)
    try:
        width, height = _image_size(data, ACCEPTED[sniffed])
    except ValueError as exc:
        raise Unsupported("damaged_file", str(exc)) from exc
    if min(width, height) < MIN_SIDE or max(width, height) > MAX_SIDE:
        raise Invalid(
            "bad_image_dimensions",
            f"Photos must be at least {MIN_SIDE} and at most {MAX_SIDE} pixels on each side "
            f"(this one is {width}×{height}).",
        )
    return Checked(sniffed, width, height)


class Uploads:
    """Stores checked files and answers who may read them."""

    def __init__(self, store: FileStore, max_bytes: int) -> None:
        self.store = store
        self.max_bytes = max_bytes

    async def add(
        self, user_id: str, material: str, data: bytes, declared_type: str | None, known_materials: Any
    ) -> dict[str, Any]:
        if material not in known_materials:
            raise Invalid("unknown_material", f"No material {material!r} in the catalogue.")
        checked = await asyncio.get_running_loop().run_in_executor(
            None, check, data, declared_type, self.max_bytes
        )
        digest = hashlib.sha256(data).hexdigest()
        await self.store.put(digest, data, checked.content_type)
        upload = await Upload.create(
            id=uuid.uuid4().hex,
            user_id=user_id,
            material=material,
            sha256=digest,
            size=len(data),
            content_type=checked.content_type,
            width=checked.width,
            height=checked.height,
        )
        return view(upload)

    async def read(self, upload_id: str, user_id: str | None) -> tuple[Upload, bytes]:
        """The owner's file (`user_id` None: access already checked by the caller); anyone else's, or a
        missing one, is NotFound alike."""
        query = Upload.filter(id=upload_id)
        upload = await (query.filter(user_id=user_id) if user_id is not None else query).first()
        data = await self.store.get(upload.sha256) if upload else None
        if upload is None or data is None:
            raise NotFound("upload_not_found", "No upload of yours with this id.")
        return upload, data


def view(upload: Upload) -> dict[str, Any]:
    return {
        "id": upload.id,
        "material": upload.material,
        "content_type": upload.content_type,
        "size": upload.size,
        "sha256": upload.sha256,
        "width": upload.width,
        "height": upload.height,
        "created_at": upload.created_at.isoformat(),
    }
