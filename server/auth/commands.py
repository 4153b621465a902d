"""Admin commands: the first supervisor (password from SUPERVISOR_PASSWORD or a prompt), department keys."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os

from server.auth.crypto import DataProtector
from server.auth.departments import DepartmentKeys
from server.auth.operators import Operators, canonical_username
from server.auth.passwords import password_problem
from server.config import Settings
from server.db import apply_migrations, close_db, init_db
from server.errors import ApiError
from server.guide.knowledge import load_knowledge
from server.kv import MemoryKV

PASSWORD_ENV = "SUPERVISOR_PASSWORD"


def _password() -> str:
    """From the environment (for automation) or typed twice; never a command-line argument."""
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    first = getpass.getpass("password for the new supervisor: ")
    if first != getpass.getpass("again: "):
        raise SystemExit("the passwords differ")
    return first


async def _create_supervisor(settings: Settings, username: str, password: str) -> str:
    await apply_migrations(settings)
    await init_db(settings)
    try:
        operator = await Operators(MemoryKV(), settings).create(username, password, "supervisor")
        return operator.id
    finally:
        await close_db()


async def _issue_key(settings: Settings, department: str) -> tuple[str, str]:
    await apply_migrations(settings)
    await init_db(settings)
    try:
        keys = DepartmentKeys(MemoryKV(), DataProtector(settings.data_encryption_key), 0)
        return await keys.issue(department)
    finally:
        await close_db()


def create_supervisor(settings: Settings, args: argparse.Namespace) -> str:
    """Create a supervisor account (`--username`); returns a line to print."""
    username = args.username
    if not username:
        raise SystemExit("--username is required")
    password = _password()
    if problem := password_problem(password):
        raise SystemExit(f"password refused: {problem}")
    try:
        operator_id = asyncio.run(_create_supervisor(settings, username, password))
    except ApiError as exc:  # the name is taken: one line, exit 1
        raise SystemExit(f"create-supervisor: {exc.message}") from None
    return f"supervisor {canonical_username(username)} created (id {operator_id})"


def issue_department_key(settings: Settings, args: argparse.Namespace) -> str:
    """Issue an API key for `--department`; the secret is printed once and cannot be shown again."""
    department = args.department
    if not department:
        raise SystemExit("--department is required")
    known = load_knowledge(settings.knowledge_dir).departments
    if department not in known:
        raise SystemExit(
            f"unknown department {department!r}; the catalogue (knowledge/departments) has: "
            + ", ".join(sorted(known))
        )
    key_id, secret = asyncio.run(_issue_key(settings, department))
    return f"department: {department}\nkey id:     {key_id}\nsecret:     {secret}\n(store the secret now)"


AUTH_COMMANDS = {"create-supervisor": create_supervisor, "issue-department-key": issue_department_key}
