"""Masking of personal data (ID numbers, phone numbers) wherever text is stored, logged or shown.

People write numbers in many ways: `+86 138-1234-5678`, `0086 13812345678`, `138 1234 5678`,
full-width `１３８１２３４５６７８`, `110101 19900307 123X`. A "run" is digits (ASCII or full-width)
with at most a few spaces, dashes or dots between them, an optional country prefix and a final X.
Each run is read as one number: an ID (18 or 15 digits) or a mainland mobile keeps its region or
prefix and its last four; any other run of 11 or more digits (two numbers written together, a
number we cannot place) keeps only its first three and last four, since a false mask costs less
than a leaked number. Identifiers we issue (uuids in hex, with or without dashes) are no numbers: a digit
run inside one is left alone, or audit entries and ids would be garbled.
"""

from __future__ import annotations

import re
import unicodedata

_DIGIT = "0-9\uff10-\uff19"
_SEP = "[ \t\u00a0\u3000\\-\u2010\u2011\u2012\u2013\u2014\uff0d.\uff0e()\uff08\uff09]{0,3}"
_RUN = re.compile(
    rf"(?<![{_DIGIT}])[+\uff0b]?[{_DIGIT}](?:{_SEP}[{_DIGIT}])*(?:{_SEP}[Xx\uff38\uff58])?(?![{_DIGIT}])"
)
_ID_18 = re.compile(r"\d{17}[\dX]")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_UUID = re.compile(r"(?<![0-9A-Za-z])[0-9a-fA-F]{8}(?:-?[0-9a-fA-F]{4}){3}-?[0-9a-fA-F]{12}(?![0-9A-Za-z])")
_COUNTRY = ("0086", "86")
_LONG_RUN = 11


def _compact(run: str) -> str:
    """The digits (and a final X) of a run, full-width folded to ASCII."""
    folded = unicodedata.normalize("NFKC", run).upper()
    return "".join(ch for ch in folded if ch.isascii() and (ch.isdigit() or ch == "X"))


def _mask_mobile(digits: str) -> str:
    return digits[:3] + "****" + digits[-4:]


def _mask_id(digits: str) -> str:
    return digits[:6] + "*" * (len(digits) - 10) + digits[-4:]


def _mask_run(match: re.Match[str]) -> str:
    run = match.group(0)
    digits = _compact(run)
    if _MOBILE.fullmatch(digits):
        return _mask_mobile(digits)
    for prefix in _COUNTRY:
        if digits.startswith(prefix) and _MOBILE.fullmatch(digits[len(prefix) :]):
            return "+86 " + _mask_mobile(digits[len(prefix) :])
    if _ID_18.fullmatch(digits) or (len(digits) == 15 and digits.isdigit()):
        return _mask_id(digits)
    if len(digits) >= _LONG_RUN:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    return run


def mask_text(text: str, keep: tuple[str, ...] = ()) -> str:
    """Mask every ID and phone number found in free text, however it is written.

    `keep` names numbers we issued ourselves (a 受理编号 in a notification): the citizen must read them.
    """
    ours = {_compact(number) for number in keep}

    def masked(segment: str) -> str:
        return _RUN.sub(lambda m: m.group(0) if _compact(m.group(0)) in ours else _mask_run(m), segment)

    parts, start = [], 0
    for issued in _UUID.finditer(text):
        if any(ch.isalpha() for ch in issued.group(0)):  # a uuid has letters; 32 digits are numbers
            parts += [masked(text[start : issued.start()]), issued.group(0)]
            start = issued.end()
    return "".join(parts) + masked(text[start:])


def mask_id_number(value: str) -> str:
    """110101********123X: keeps the region and the last four, as government apps show it."""
    return mask_text(value)


def mask_phone(value: str) -> str:
    """138****5678."""
    return mask_text(value)


def mask_data(value: object) -> object:
    """`mask_text` applied to every string inside JSON-like data (dicts, lists, tuples)."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {key: mask_data(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [mask_data(item) for item in value]
    return value
