"""JWTs with PyJWT: one configured algorithm, `kid`-selected keys (rotation), all registered claims checked.

Access tokens are short-lived; refresh tokens are long-lived and single-use (see sessions.py).
Citizens and operators get different audiences, so one's token is never accepted as the other's.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import jwt
from cryptography.hazmat.primitives import serialization

from server.config import Settings

TokenKind = Literal["user", "operator"]
TokenType = Literal["access", "refresh"]
REQUIRED_CLAIMS = ["exp", "iat", "nbf", "iss", "aud", "sub", "jti", "typ", "fid"]
# Headers that would let a token choose its own verification key.
_FORBIDDEN_HEADERS = frozenset({"jku", "jwk", "x5u", "x5c", "crit"})


class InvalidToken(Exception):
    """Any reason a token is not accepted; the message is for logs, clients only see `invalid_token`."""


@dataclass(frozen=True)
class Claims:
    kind: TokenKind
    type: TokenType
    subject: str
    family: str
    jti: str
    expires_at: int
    role: str | None


@dataclass(frozen=True)
class KeyRing:
    """The algorithm, the current signing key and every kid -> verification key (current and previous)."""

    algorithm: str
    kid: str
    signing_key: Any
    verification_keys: dict[str, Any]

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyRing:
        if settings.jwt_algorithm == "HS256":
            current_signing: Any = settings.secret_key
            current_verify: Any = settings.secret_key
            previous: dict[str, Any] = dict(settings.jwt_previous_keys)
        else:
            if not settings.jwt_private_key:
                raise ValueError(f"JWT_PRIVATE_KEY is required for {settings.jwt_algorithm}")
            current_signing = serialization.load_pem_private_key(settings.jwt_private_key.encode(), None)
            current_verify = current_signing.public_key()
            previous = {
                kid: serialization.load_pem_public_key(pem.encode())
                for kid, pem in settings.jwt_previous_keys.items()
            }
        return cls(
            algorithm=settings.jwt_algorithm,
            kid=settings.jwt_key_id,
            signing_key=current_signing,
            verification_keys={**previous, settings.jwt_key_id: current_verify},
        )


class TokenService:
    """Issues and verifies this service's JWTs."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.time) -> None:
        self.keys = KeyRing.from_settings(settings)
        self.issuer = settings.jwt_issuer
        self.audiences: dict[TokenKind, str] = {
            "user": settings.jwt_user_audience,
            "operator": settings.jwt_operator_audience,
        }
        self.access_ttl = settings.access_token_ttl_seconds
        # Console sessions end sooner than a citizen's app login.
        self._refresh_ttl: dict[TokenKind, int] = {
            "user": settings.refresh_token_ttl_seconds,
            "operator": settings.operator_refresh_token_ttl_seconds,
        }
        self.leeway = settings.jwt_leeway_seconds
        self._clock = clock
        self._jwt = jwt.PyJWT(options={"enforce_minimum_key_length": True})

    def issue(
        self, kind: TokenKind, type_: TokenType, subject: str, family: str, role: str | None = None
    ) -> tuple[str, Claims]:
        """Sign a new token; returns it with its claims (the jti is what sessions store)."""
        now = int(self._clock())
        lifetime = self.access_ttl if type_ == "access" else self._refresh_ttl[kind]
        claims = Claims(kind, type_, subject, family, uuid.uuid4().hex, now + lifetime, role)
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audiences[kind],
            "sub": subject,
            "iat": now,
            "nbf": now,
            "exp": claims.expires_at,
            "jti": claims.jti,
            "typ": type_,
            "fid": family,
        }
        if role:
            payload["role"] = role
        token = self._jwt.encode(
            payload, self.keys.signing_key, algorithm=self.keys.algorithm, headers={"kid": self.keys.kid}
        )
        return token, claims

    def verify(self, token: str, type_: TokenType, kind: TokenKind | None = None) -> Claims:
        """Claims of a valid token of `type_` (and `kind`, when given); InvalidToken otherwise."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"malformed: {exc}") from exc
        if header.get("alg") != self.keys.algorithm:
            raise InvalidToken(f"algorithm {header.get('alg')!r} is not the configured one")
        if _FORBIDDEN_HEADERS & header.keys():
            raise InvalidToken("token carries its own key material")
        kid = header.get("kid")
        key = self.keys.verification_keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise InvalidToken("unknown kid")
        audiences = [self.audiences[kind]] if kind else list(self.audiences.values())
        try:
            payload = self._jwt.decode(
                token,
                key,
                algorithms=[self.keys.algorithm],
                audience=audiences,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"{type(exc).__name__}: {exc}") from exc
        if not isinstance(payload["aud"], str):
            raise InvalidToken("a token must name exactly one audience")
        if payload["typ"] != type_:
            raise InvalidToken(f"a {payload['typ']!r} token where {type_!r} was expected")
        token_kind = next(k for k, aud in self.audiences.items() if aud == payload["aud"])
        return Claims(
            token_kind,
            type_,
            str(payload["sub"]),
            str(payload["fid"]),
            str(payload["jti"]),
            int(payload["exp"]),
            payload.get("role"),
        )
