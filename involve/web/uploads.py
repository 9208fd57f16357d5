"""Reading forms that carry files, with the request body bounded before it is read.

The limit is checked against Content-Length first, and again while the body streams in (a client
that lies or sends chunks is cut off at the limit), so a huge upload is never read into memory or
spooled to disk in full. Each file is then read at most one byte past its own limit.
"""
from __future__ import annotations

from fastapi import Request
from starlette.datastructures import FormData, UploadFile

from involve.domain.languages import N_
from involve.errors import InvolveError
from involve.receipt_files import MAX_BYTES, MAX_FILES
from involve.services.receipts import Upload

FORM_OVERHEAD = 256 * 1024
MAX_BODY = MAX_FILES * MAX_BYTES + 2 * MAX_BYTES + FORM_OVERHEAD  # room to name the one file that is too big


class BodyTooLarge(InvolveError):
    """The request is larger than any form of ours can be."""


async def bounded_form(request: Request, limit: int = MAX_BODY) -> FormData:
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise BodyTooLarge(N_("The files you sent add up to more than we can take at once. "
                              "Send up to 10 files, each 10 MB or smaller."))
    receive, seen = request._receive, 0

    async def counted():
        nonlocal seen
        message = await receive()
        if message.get("type") == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(N_("The files you sent add up to more than we can take at once."))
        return message

    request._receive = counted
    return await request.form(max_files=MAX_FILES + 5, max_fields=200)


def uploads(form: FormData, name: str) -> list[Upload]:
    """The files sent in field `name` (an empty file input sends an empty part: skipped)."""
    out = []
    for item in form.getlist(name):
        if isinstance(item, UploadFile) and (item.filename or item.size):
            item.file.seek(0)
            out.append(Upload(item.filename or "receipt", item.file.read(MAX_BYTES + 1)))
    return out
