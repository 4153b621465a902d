"""一套材料: a citizen uploads each material once (photo or PDF, checked by its content) and reads it
back; a department reads the materials of its own tasks. Nothing is served without an access check."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json, raw

from server.auth.guards import requires_department, requires_user
from server.errors import ApiError

bp = Blueprint("uploads")


def _file_response(content_type: str, data: bytes, digest: str) -> HTTPResponse:
    return raw(
        data,
        content_type=content_type,
        headers={
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": "attachment",
            "ETag": f'"{digest}"',
        },
    )


@bp.post("/api/v1/uploads")
@requires_user
async def post_upload(request: Request) -> HTTPResponse:
    """multipart/form-data with `material` (catalogue id) and `file`."""
    upload = request.files.get("file") if request.files else None
    material = request.form.get("material") if request.form else None
    if upload is None or not material:
        raise ApiError(422, "missing_file", "Send multipart/form-data with a `material` id and a `file`.")
    knowledge = request.app.ctx.knowledge.current.knowledge
    created = await request.app.ctx.uploads.add(
        request.ctx.principal.id, material, upload.body, upload.type, knowledge.materials
    )
    return json({"upload": created}, status=201)


@bp.get("/api/v1/uploads/<upload_id:str>")
@requires_user
async def get_upload(request: Request, upload_id: str) -> HTTPResponse:
    upload, data = await request.app.ctx.uploads.read(upload_id, request.ctx.principal.id)
    return _file_response(upload.content_type, data, upload.sha256)


@bp.get("/api/v1/departments/tasks/<task_id:str>/materials/<material:str>")
@requires_department
async def get_task_material(request: Request, task_id: str, material: str) -> HTTPResponse:
    upload_id = await request.app.ctx.applications.material_upload(
        request.ctx.principal.department, task_id, material
    )
    upload, data = await request.app.ctx.uploads.read(upload_id, None)
    return _file_response(upload.content_type, data, upload.sha256)
