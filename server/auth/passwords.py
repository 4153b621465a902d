"""Operator passwords: argon2id hashes (argon2-cffi defaults, RFC 9106 low-memory profile).

Hashing and verifying cost tens of milliseconds of CPU and 64 MiB each, so they run on a small
thread pool of their own: the event loop keeps serving, and a burst of logins cannot take more
memory or cores than the pool has threads.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 12

_hasher = PasswordHasher()
_pool = ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1), thread_name_prefix="argon2")
# Verified against when the username is unknown, so timing does not reveal which usernames exist.
_DUMMY_HASH = _hasher.hash("no such operator; equal timing")


def _verify(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def hash_password(password: str) -> str:
    """A new argon2id hash of `password`, computed off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(_pool, _hasher.hash, password)


async def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches; an absent hash still costs one verification. Off the loop."""
    return await asyncio.get_running_loop().run_in_executor(_pool, _verify, stored_hash, password)


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"at least {MIN_PASSWORD_LENGTH} characters"
    if len(set(password)) < 5:
        return "too few distinct characters"
    return None
