"""Forged, stale and misdirected tokens are refused with 401 by the running app (both backends)."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from server.config import DEV_SECRET
from tests.fakes.auth import bearer, client, make_client, new_phone, sms, sms_login, wechat

USES_FIXTURES = (client, make_client, sms, wechat)  # pytest finds fixtures by module name

PROFILE = "/api/v1/me"


def claims(**changes) -> dict:
    now = int(time.time())
    base = {
        "iss": "yijianshi",
        "aud": "yijianshi-app",
        "sub": "u1",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": "j1",
        "typ": "access",
        "fid": "f1",
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def forge(payload: dict, key: str = DEV_SECRET, algorithm: str = "HS256", kid: str | None = "k1") -> str:
    return jwt.encode(payload, key, algorithm=algorithm, headers={"kid": kid} if kid else None)


def unsigned(payload: dict) -> str:
    """`alg: none`: header and payload, empty signature."""

    def part(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT', 'kid': 'k1'})}.{part(payload)}."


def tampered(token: str) -> str:
    """Change the subject in the payload, keep the signature."""
    header, payload, signature = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=="))
    body["sub"] = "someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def _ec_key() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


async def test_a_real_token_opens_the_profile(client, sms) -> None:
    pair = await sms_login(client, sms[1], new_phone())
    response = await client.get(PROFILE, headers=bearer(pair["access_token"]))
    assert response.status_code == 200
    assert response.json()["phone"].count("*") == 4


@pytest.mark.parametrize(
    "case",
    [
        "expired",
        "not_yet_valid",
        "issued_in_future",
        "wrong_audience",
        "wrong_issuer",
        "alg_none",
        "wrong_algorithm",
        "wrong_key",
        "unknown_kid",
        "no_kid",
        "missing_exp",
        "refresh_as_access",
        "two_audiences",
        "garbage",
        "not_bearer",
    ],
)
async def test_bad_tokens_are_401(client, sms, case: str) -> None:
    now = int(time.time())
    tokens = {
        "expired": lambda: forge(claims(iat=now - 7200, nbf=now - 7200, exp=now - 3600)),
        "not_yet_valid": lambda: forge(claims(nbf=now + 3600)),
        "issued_in_future": lambda: forge(claims(iat=now + 3600, nbf=now)),
        "wrong_audience": lambda: forge(claims(aud="some-other-app")),
        "wrong_issuer": lambda: forge(claims(iss="https://evil.example")),
        "alg_none": lambda: unsigned(claims()),
        "wrong_algorithm": lambda: forge(claims(), key=DEV_SECRET * 2, algorithm="HS512"),
        "wrong_key": lambda: forge(claims(), key="another-secret-that-is-long-enough-0123456789"),
        "unknown_kid": lambda: forge(claims(), kid="k9"),
        "no_kid": lambda: forge(claims(), kid=None),
        "missing_exp": lambda: forge(claims(exp=None)),
        "refresh_as_access": lambda: forge(claims(typ="refresh")),
        "two_audiences": lambda: forge(claims(aud=["yijianshi-app", "yijianshi-console"])),
        "garbage": lambda: "not.a.jwt",
    }
    if case == "not_bearer":
        headers = {"Authorization": "Basic dXNlcjpwYXNz"}
    else:
        headers = bearer(tokens[case]())
    response = await client.get(PROFILE, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"
    assert "invalid_token" in response.headers["www-authenticate"]


async def test_the_control_token_is_accepted_so_the_forgeries_mean_something(client, sms) -> None:
    """The forging helper with correct values makes a token the app accepts (for a real user)."""
    pair = await sms_login(client, sms[1], new_phone())
    real = jwt.decode(pair["access_token"], options={"verify_signature": False})
    response = await client.get(PROFILE, headers=bearer(forge(claims(sub=real["sub"]))))
    assert response.status_code == 200
    response = await client.get(PROFILE, headers=bearer(tampered(pair["access_token"])))
    assert response.status_code == 401


async def test_no_token_is_a_guest_and_guests_cannot_read_profiles(client) -> None:
    response = await client.get(PROFILE)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_required"


async def test_es256_with_key_rotation(make_client, sms) -> None:
    """Tokens signed by the previous key (kid) keep working; HS256 tokens are refused under ES256."""
    old_pem, new_pem = _ec_key(), _ec_key()
    old_app = await make_client(jwt_algorithm="ES256", jwt_private_key=old_pem, jwt_key_id="2026-01")
    pair = await sms_login(old_app, sms[1], new_phone())
    assert jwt.get_unverified_header(pair["access_token"]) == {"alg": "ES256", "kid": "2026-01", "typ": "JWT"}
    old_public = (
        serialization.load_pem_private_key(old_pem.encode(), None)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    rotated = await make_client(
        jwt_algorithm="ES256",
        jwt_private_key=new_pem,
        jwt_key_id="2026-07",
        jwt_previous_keys={"2026-01": old_public},
    )
    response = await rotated.get(PROFILE, headers=bearer(pair["access_token"]))
    assert response.status_code == 200
    # Algorithm confusion: an HS256 token keyed with the public key's bytes must not pass.
    token = jwt.encode(claims(), "x" * 64, algorithm="HS256", headers={"kid": "2026-01"})
    response = await rotated.get(PROFILE, headers=bearer(token))
    assert response.status_code == 401
