"""Refusing an oversize upload while it arrives, instead of after the whole body was received and stored."""
from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

DEFAULT_MAX_UPLOAD_MB = 50
# Room for the multipart envelope and the other form fields around the file.
ENVELOPE_BYTES = 16 * 1024


def max_upload_bytes() -> int:
    """The largest lead file accepted, in bytes (settings.IMPORT_MAX_UPLOAD_MB, default 50)."""
    return int(getattr(settings, "IMPORT_MAX_UPLOAD_MB", DEFAULT_MAX_UPLOAD_MB) * 1024 * 1024)


def too_large_message() -> str:
    mb = getattr(settings, "IMPORT_MAX_UPLOAD_MB", DEFAULT_MAX_UPLOAD_MB)
    return f"The file is larger than {mb:g} MB: split it and upload the parts."


def declared_too_large(meta: dict) -> bool:
    """True when the request says (Content-Length) it carries more than the limit: refuse without reading it."""
    try:
        length = int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > max_upload_bytes() + ENVELOPE_BYTES


class UploadLimit(FileUploadHandler):
    """First in request.upload_handlers: counts the file bytes as they arrive and stops the upload
    (StopUpload, connection reset: the rest of the body is not read) once they pass `limit_bytes`.
    `too_large` tells the view why the file is missing. Django docs, "Upload Handlers":
    https://docs.djangoproject.com/en/5.2/ref/files/uploads/#custom-upload-handlers"""

    def __init__(self, request=None, limit_bytes: int | None = None) -> None:
        super().__init__(request)
        self.limit = max_upload_bytes() if limit_bytes is None else limit_bytes
        self.received = 0
        self.too_large = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.too_large = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler builds the file
