"""The operators' domain errors; `server.errors` maps each kind to an HTTP status once, at the edge."""

from __future__ import annotations

from typing import Literal

ErrorKind = Literal["not_found", "conflict", "invalid", "forbidden"]


class OperatorsError(Exception):
    """Something the caller asked for that the domain refuses; `code` is snake_case for clients."""

    def __init__(self, kind: ErrorKind, code: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.code = code
        self.message = message


class OperatorsConfigError(ValueError):
    """`knowledge/operators.yaml` is missing or invalid; the message names file and field."""


def not_found(code: str, message: str) -> OperatorsError:
    return OperatorsError("not_found", code, message)


def conflict(code: str, message: str) -> OperatorsError:
    return OperatorsError("conflict", code, message)


def invalid(code: str, message: str) -> OperatorsError:
    return OperatorsError("invalid", code, message)


def forbidden(code: str, message: str) -> OperatorsError:
    return OperatorsError("forbidden", code, message)
