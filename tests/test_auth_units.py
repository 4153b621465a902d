"""Domain pieces without HTTP: ID and phone validation, field encryption, production refusals."""

from __future__ import annotations

import pytest

from server.auth.crypto import DataKeyError, DataProtector
from server.auth.identity import id_check_char, normalize_id_number, normalize_phone
from server.config import DEV_DATA_KEY, Settings, SettingsError
from tests.test_config import STRONG_DATA_KEY, STRONG_SECRET

OTHER_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("11010519491231002X", "11010519491231002X"),
        ("11010519491231002x", "11010519491231002X"),
        (" 440524198001010013 ", "440524198001010013"),
        ("440524188001010014", None),  # checksum fine, born before 1900
        ("110105194912310021", None),  # wrong check character
        ("110105194913310028", None),  # month 13
        ("11010519491231002", None),  # 17 characters
        ("010105194912310027", None),  # region cannot start with 0
        ("11010530001231002X", None),  # born in the future
    ],
)
def test_id_numbers_follow_gb_11643(value: str, expected: str | None) -> None:
    assert normalize_id_number(value) == expected


def test_check_character_is_mod_11_2() -> None:
    assert id_check_char("11010519491231002") == "X"
    assert id_check_char("44052419800101001") == "3"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13812345678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("12812345678", None),
        ("1381234567", None),
        ("138123456789", None),
    ],
)
def test_phone_numbers(value: str, expected: str | None) -> None:
    assert normalize_phone(value) == expected


def test_encryption_is_randomised_bound_to_field_and_key() -> None:
    protector = DataProtector(DEV_DATA_KEY)
    first, second = (
        protector.encrypt("13812345678", "user.phone"),
        protector.encrypt("13812345678", "user.phone"),
    )
    assert first != second and "13812345678" not in first
    assert protector.decrypt(first, "user.phone") == "13812345678"
    with pytest.raises(DataKeyError):
        protector.decrypt(first, "user.id_number")  # moved to another column
    with pytest.raises(DataKeyError):
        DataProtector(OTHER_KEY).decrypt(first, "user.phone")
    assert protector.lookup_hash("13812345678", "user.phone") == protector.lookup_hash(
        "13812345678", "user.phone"
    )
    assert protector.lookup_hash("13812345678", "user.phone") != DataProtector(OTHER_KEY).lookup_hash(
        "13812345678", "user.phone"
    )
    with pytest.raises(DataKeyError):
        DataProtector("c2hvcnQ=")


def test_production_refuses_development_keys_and_sms() -> None:
    safe = {
        "app_env": "production",
        "secret_key": STRONG_SECRET,
        "redis_url": "redis://127.0.0.1:6379/0",
        "database_url": "postgres://u@127.0.0.1/db",
        "data_encryption_key": STRONG_DATA_KEY,
        "sms_provider": "tencent",
    }
    Settings(**safe).check_production()
    for change, needle in (
        ({"data_encryption_key": DEV_DATA_KEY}, "DATA_ENCRYPTION_KEY"),
        ({"sms_provider": "development"}, "SMS_PROVIDER"),
        ({"jwt_algorithm": "ES256"}, "JWT_PRIVATE_KEY"),
    ):
        with pytest.raises(SettingsError, match=needle):
            Settings(**{**safe, **change}).check_production()
