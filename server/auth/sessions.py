"""Login sessions as refresh-token families: every refresh rotates, a reused token revokes its family.

Access tokens carry their family id (`fid`); a revoked family is remembered in the kv role for as long as
its access tokens could live, so logout and revocation take effect at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from server.auth.tokens import Claims, InvalidToken, TokenKind, TokenService
from server.kv import KV
from server.models import RefreshToken

log = logging.getLogger("server.auth.sessions")

# Answers the current role of a subject, or raises InvalidToken when it may no longer sign in.
RoleResolver = Callable[[str], Awaitable[str | None]]


class TokenReused(InvalidToken):
    """An already rotated refresh token came back: it was copied, so its whole family is revoked."""


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int

    def as_json(self) -> dict:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
        }


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Sessions:
    """Starts, rotates and revokes token families."""

    def __init__(self, tokens: TokenService, kv: KV) -> None:
        self.tokens = tokens
        self.kv = kv

    def _revoked_key(self, family: str) -> str:
        return f"auth:revoked:{family}"

    async def _issue(self, kind: TokenKind, subject: str, family: str, role: str | None) -> TokenPair:
        access, _ = self.tokens.issue(kind, "access", subject, family, role)
        refresh, claims = self.tokens.issue(kind, "refresh", subject, family, role)
        await RefreshToken.create(
            jti=claims.jti,
            family=family,
            subject_kind=kind,
            subject_id=subject,
            expires_at=dt.datetime.fromtimestamp(claims.expires_at, dt.UTC),
        )
        return TokenPair(access, refresh, self.tokens.access_ttl)

    async def start(self, kind: TokenKind, subject: str, role: str | None = None) -> TokenPair:
        """A new family for a fresh login."""
        return await self._issue(kind, subject, uuid.uuid4().hex, role)

    async def rotate(self, refresh_token: str, kind: TokenKind, resolve_role: RoleResolver) -> TokenPair:
        """Exchange a refresh token for a new pair in the same family; InvalidToken when not allowed."""
        claims = self.tokens.verify(refresh_token, "refresh", kind)
        row = await RefreshToken.get_or_none(jti=claims.jti)
        if row is None or row.subject_id != claims.subject or row.family != claims.family:
            raise InvalidToken("refresh token not on record")
        if row.revoked_at is not None:
            raise InvalidToken("refresh token family revoked")
        claimed = await RefreshToken.filter(jti=claims.jti, used_at=None, revoked_at=None).update(
            used_at=_now()
        )
        if not claimed:
            await self.revoke_family(claims.family)
            log.warning("refresh token reused; family revoked", extra={"family": claims.family})
            raise TokenReused("refresh token reused")
        role = await resolve_role(claims.subject)
        return await self._issue(kind, claims.subject, claims.family, role)

    async def revoke_family(self, family: str) -> None:
        await RefreshToken.filter(family=family, revoked_at=None).update(revoked_at=_now())
        await self.kv.set(self._revoked_key(family), "1", ttl=self.tokens.access_ttl + self.tokens.leeway)

    async def revoke_subject(self, kind: TokenKind, subject: str) -> None:
        """End every session of one account (an operator deactivated or re-roled)."""
        families = (
            await RefreshToken.filter(subject_kind=kind, subject_id=subject, revoked_at=None)
            .distinct()
            .values_list("family", flat=True)
        )
        for family in families:
            await self.revoke_family(str(family))

    async def is_revoked(self, claims: Claims) -> bool:
        return await self.kv.get(self._revoked_key(claims.family)) is not None

    async def revoked(self, many: Sequence[Claims]) -> list[bool]:
        """`is_revoked` for many tokens in one kv round trip (the sockets due a heartbeat)."""
        found = await self.kv.get_many([self._revoked_key(claims.family) for claims in many])
        return [value is not None for value in found]
