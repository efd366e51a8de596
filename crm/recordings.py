"""Serving call recordings from private storage, with HTTP Range so the audio player can seek."""
from __future__ import annotations

import mimetypes
import re

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpRequest, HttpResponse

RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
# Longest part sent for one range request; players ask again for the rest (RFC 9110 allows a shorter part).
MAX_PART = 1024 * 1024


def recording_response(request: HttpRequest, recording: FieldFile) -> HttpResponse:
    """The file, whole or the byte range asked for; never cached by shared proxies."""
    size = recording.size
    content_type = mimetypes.guess_type(recording.name)[0] or "application/octet-stream"
    match = RANGE.match(request.headers.get("Range", "").strip())
    if not match or not any(match.groups()):
        response: HttpResponse = FileResponse(recording.open("rb"), content_type=content_type)
    else:
        first, last = match.groups()
        if first:
            start, end = int(first), min(int(last) if last else size - 1, size - 1)
        else:  # "bytes=-N": the last N bytes
            start, end = max(size - int(last), 0), size - 1
        if start > end or start >= size:
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
        end = min(end, start + MAX_PART - 1)
        with recording.open("rb") as handle:
            handle.seek(start)
            response = HttpResponse(handle.read(end - start + 1), status=206, content_type=content_type)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, no-store"
    return response
