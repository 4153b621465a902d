"""Settings: defaults that just work, and production refusing unsafe values."""

from __future__ import annotations

import base64
import re

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from server.config import DEV_DATA_KEY, DEV_SECRET, Settings, SettingsError, load_settings


def test_defaults_are_the_embedded_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "REDIS_URL", "HOST", "PORT", "WORKERS", "APP_ENV"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.is_embedded_db and settings.redis_url is None
    assert (settings.host, settings.port, settings.workers) == ("127.0.0.1", 8000, 1)


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "9123")
    monkeypatch.setenv("WORKERS", "3")
    monkeypatch.setenv("REDIS_URL", "")
    settings = load_settings()
    assert (settings.port, settings.workers, settings.redis_url) == (9123, 3, None)


# Generated once with secrets.token_urlsafe(48) and base64 of os.urandom(32): keys a real operator would set.
STRONG_SECRET = "IZ7iDoR89rlFvwcO-t7myA-fphQRZRb1WzRomBtxbI9dA6qcMoDzcBjti6ehFkP4"
OLD_STRONG_SECRET = "v6V8RC9Hize3Nnuk0IKZJIoM00oR9JGVNw3eFHEvECqu46GYWSFP3NrzY-JVxczK"
STRONG_DATA_KEY = "LPbEWEFtpkEyGr4dAqc4r92Yyb2udPwNRU6zy9zRJ54="
PRODUCTION = {
    "app_env": "production",
    "secret_key": STRONG_SECRET,
    "redis_url": "redis://x",
    "database_url": "postgres://x/y",
    "data_encryption_key": STRONG_DATA_KEY,
    "sms_provider": "tencent",
}


@pytest.mark.parametrize(
    ("missing", "message"),
    [("redis_url", "REDIS_URL"), ("database_url", "DATABASE_URL"), ("sms_provider", "SMS_PROVIDER")],
)
def test_production_refuses_unsafe_settings(missing: str, message: str) -> None:
    values = {k: v for k, v in PRODUCTION.items() if k != missing}
    with pytest.raises(SettingsError, match=message):
        Settings(**values).check_production()


def test_production_accepts_strong_keys_and_a_rotation() -> None:
    Settings(**PRODUCTION, jwt_previous_keys={"k0": OLD_STRONG_SECRET}).check_production()


WEAK_SECRETS = {
    "development secret": DEV_SECRET,
    "development data key": DEV_DATA_KEY,
    "32 times a": "a" * 32,
    "all zero": "0" * 64,
    "too short": "Xq9#vL2!pR",
    "short pattern": "k3Y!" * 12,
    "consecutive run": "abcdefghijklmnopqrstuvwxyz0123456789",
    "low entropy": "abababababbabababbbabababababaabababbabababbab",
    "128-bit hex (RFC 7518 wants 256 bits for HS256)": "3f9c2b7e1d8a4c6f0b5e9a2d7c1f8e4b",
}


@pytest.mark.parametrize("weak", WEAK_SECRETS.values(), ids=WEAK_SECRETS.keys())
@pytest.mark.parametrize("where", ["SECRET_KEY", "JWT_PREVIOUS_KEYS"])
def test_production_refuses_weak_signing_secrets(where: str, weak: str) -> None:
    """A token signed with a development or guessable secret must not be accepted: refuse to start."""
    values = dict(PRODUCTION)
    if where == "SECRET_KEY":
        values["secret_key"] = weak
    else:
        values["jwt_previous_keys"] = {"k0": weak}
    with pytest.raises(SettingsError, match=re.escape(where)):
        Settings(**values).check_production()


@pytest.mark.parametrize(
    "weak",
    [
        DEV_DATA_KEY,
        base64.b64encode(bytes(32)).decode(),  # all zero
        base64.b64encode(b"a" * 32).decode(),
        base64.b64encode(b"0123456789abcdef" * 2).decode(),
        base64.b64encode(bytes(range(32))).decode(),
        base64.b64encode(b"ab" * 15 + b"ba").decode(),
        base64.b64encode(b"\x01" * 16).decode(),  # 16 bytes, not 32
        "not base64!",
    ],
)
def test_production_refuses_weak_data_encryption_keys(weak: str) -> None:
    with pytest.raises(SettingsError, match="DATA_ENCRYPTION_KEY"):
        Settings(**dict(PRODUCTION, data_encryption_key=weak)).check_production()


def test_production_refuses_one_key_for_two_jobs() -> None:
    with pytest.raises(SettingsError, match="DATA_ENCRYPTION_KEY must not also be a token signing secret"):
        Settings(**dict(PRODUCTION, secret_key=STRONG_DATA_KEY)).check_production()


def _pem(key) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _public_pem(key) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


RSA_2048 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
RSA_1024 = rsa.generate_private_key(public_exponent=65537, key_size=1024)
P256 = ec.generate_private_key(ec.SECP256R1())
P384 = ec.generate_private_key(ec.SECP384R1())


def test_production_accepts_fitting_asymmetric_keys() -> None:
    Settings(
        **PRODUCTION,
        jwt_algorithm="RS256",
        jwt_private_key=_pem(RSA_2048),
        jwt_previous_keys={"k0": _public_pem(rsa.generate_private_key(public_exponent=65537, key_size=3072))},
    ).check_production()
    Settings(**PRODUCTION, jwt_algorithm="ES256", jwt_private_key=_pem(P256)).check_production()


UNFIT_ASYMMETRIC = {
    "RS256 without a key": ("RS256", None, {}, "JWT_PRIVATE_KEY (PEM) is required"),
    "not a PEM": (
        "RS256",
        "-----BEGIN PRIVATE KEY-----\nxx\n-----END PRIVATE KEY-----",
        {},
        "not an unencrypted PEM",
    ),
    "1024-bit RSA": ("RS256", _pem(RSA_1024), {}, "1024-bit RSA key"),
    "EC key for RS256": ("RS256", _pem(P256), {}, "not an RSA key"),
    "RSA key for ES256": ("ES256", _pem(RSA_2048), {}, "not an elliptic-curve key"),
    "P-384 for ES256": ("ES256", _pem(P384), {}, "curve secp384r1"),
    "weak previous key": (
        "RS256",
        _pem(RSA_2048),
        {"k0": _public_pem(RSA_1024)},
        "JWT_PREVIOUS_KEYS['k0'] is a 1024-bit",
    ),
    "previous key not PEM": (
        "ES256",
        _pem(P256),
        {"k0": "secret"},
        "JWT_PREVIOUS_KEYS['k0'] is not a PEM public key",
    ),
}


@pytest.mark.parametrize(
    ("algorithm", "private", "previous", "message"), UNFIT_ASYMMETRIC.values(), ids=UNFIT_ASYMMETRIC.keys()
)
def test_production_refuses_unfit_asymmetric_keys(
    algorithm: str, private: str | None, previous: dict, message: str
) -> None:
    """A short RSA key or one of the wrong type would let tokens be forged or fail at the first login."""
    values = dict(PRODUCTION, jwt_algorithm=algorithm, jwt_private_key=private, jwt_previous_keys=previous)
    with pytest.raises(SettingsError, match=re.escape(message)):
        Settings(**values).check_production()


def test_development_keeps_working_with_its_published_keys() -> None:
    Settings(app_env="development").check_production()


def test_bad_values_are_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "not-a-port")
    with pytest.raises(ValueError):
        load_settings()
    monkeypatch.setenv("PORT", "8000")
    monkeypatch.setenv("REDIS_KEY_PREFIX", "prod key*")  # a space and a glob character
    with pytest.raises(ValueError, match="redis_key_prefix"):
        load_settings()


def test_the_benchmarks_echo_route_is_off_by_default_and_refused_in_production() -> None:
    from server.app import create_app

    def paths(settings: Settings, name: str) -> set[str]:
        return {route.path for route in create_app(settings, name=name).router.routes}

    assert "bench/echo" not in paths(Settings(), "echo_off")
    assert "bench/echo" in paths(Settings(bench_echo_route=True), "echo_on")
    with pytest.raises(SettingsError, match="BENCH_ECHO_ROUTE"):
        Settings(**PRODUCTION, bench_echo_route=True).check_production()
