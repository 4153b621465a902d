"""Validation of resident ID numbers (GB 11643-1999 checksum) and mainland mobile numbers."""

from __future__ import annotations

import datetime as dt
import re

_ID_SHAPE = re.compile(r"^[1-9]\d{16}[\dX]$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_PHONE = re.compile(r"^1[3-9]\d{9}$")


def id_check_char(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits (ISO 7064 MOD 11-2)."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def normalize_id_number(value: str) -> str | None:
    """The 18-character ID number in canonical form (upper-case X), or None when it is not valid."""
    candidate = value.strip().upper()
    if not _ID_SHAPE.match(candidate) or id_check_char(candidate[:17]) != candidate[17]:
        return None
    try:
        birth = dt.date(int(candidate[6:10]), int(candidate[10:12]), int(candidate[12:14]))
    except ValueError:
        return None
    if not dt.date(1900, 1, 1) <= birth <= dt.date.today():
        return None
    return candidate


def normalize_phone(value: str) -> str | None:
    """The 11-digit mainland mobile number (a +86 / 86 prefix, spaces and dashes dropped), or None."""
    digits = re.sub(r"[\s-]", "", value)
    for prefix in ("+86", "0086"):
        digits = digits.removeprefix(prefix)
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits if _PHONE.match(digits) else None
