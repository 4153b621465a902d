"""Content-addressed file storage for uploaded materials: local disk by default, S3-compatible object
storage (aioboto3) when `S3_BUCKET` is set. A file is stored once under its SHA-256, whoever uploads it;
who may read it is decided elsewhere (the `upload` rows), never by knowing the hash."""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

import aioboto3
from aiobotocore.config import AioConfig
from botocore.exceptions import ClientError

from server.config import Settings


class FileStore(Protocol):
    async def put(self, digest: str, data: bytes, content_type: str) -> None: ...
    async def get(self, digest: str) -> bytes | None: ...
    async def ping(self) -> bool: ...
    async def close(self) -> None: ...


class LocalFiles:
    """Files under `root/ab/cd/<sha256>`, written atomically (temp file + rename)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, digest: str) -> Path:
        return self.root / digest[:2] / digest[2:4] / digest

    def _put(self, digest: str, data: bytes) -> None:
        path = self._path(digest)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    async def put(self, digest: str, data: bytes, content_type: str) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self._put, digest, data)

    async def get(self, digest: str) -> bytes | None:
        path = self._path(digest)
        try:
            return await asyncio.get_running_loop().run_in_executor(None, path.read_bytes)
        except FileNotFoundError:
            return None

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        return None


class S3Files:
    """Objects `materials/<sha256>` in one bucket of an S3-compatible service, one client per worker."""

    def __init__(self, settings: Settings) -> None:
        assert settings.s3_bucket
        self.bucket = settings.s3_bucket
        self._session = aioboto3.Session(
            aws_access_key_id=settings.s3_access_key_id,
            aws_secret_access_key=settings.s3_secret_access_key,
            region_name=settings.s3_region,
        )
        self._endpoint = settings.s3_endpoint_url
        self._context: Any = None
        self._client: Any = None
        self._lock = asyncio.Lock()

    async def _s3(self) -> Any:
        async with self._lock:
            if self._client is None:
                config = AioConfig(connect_timeout=5, read_timeout=30, retries={"max_attempts": 3})
                self._context = self._session.client("s3", endpoint_url=self._endpoint, config=config)
                self._client = await self._context.__aenter__()
        return self._client

    @staticmethod
    def _key(digest: str) -> str:
        return f"materials/{digest}"

    async def put(self, digest: str, data: bytes, content_type: str) -> None:
        s3 = await self._s3()
        await s3.put_object(Bucket=self.bucket, Key=self._key(digest), Body=data, ContentType=content_type)

    async def get(self, digest: str) -> bytes | None:
        s3 = await self._s3()
        try:
            response = await s3.get_object(Bucket=self.bucket, Key=self._key(digest))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise
        async with response["Body"] as body:
            data: bytes = await body.read()
        return data

    async def ping(self) -> bool:
        try:
            await asyncio.wait_for((await self._s3()).head_bucket(Bucket=self.bucket), 3)
        except Exception:
            return False
        return True

    async def close(self) -> None:
        if self._context is not None:
            await self._context.__aexit__(None, None, None)
            self._context = self._client = None


def create_file_store(settings: Settings) -> FileStore:
    return S3Files(settings) if settings.s3_bucket else LocalFiles(settings.upload_dir)
