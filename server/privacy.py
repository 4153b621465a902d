"""Masking of personal data (ID numbers, phone numbers) wherever text is logged or shown to operators."""

from __future__ import annotations

import re

# 18-digit resident ID (last may be X) and mainland mobile numbers, not inside longer digit runs.
_ID_NUMBER = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?!\d)")
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def mask_id_number(value: str) -> str:
    """110101********123X: keeps the region and the last four, as government apps show it."""
    return _ID_NUMBER.sub(lambda m: m.group(1) + "*" * 8 + m.group(2), value)


def mask_phone(value: str) -> str:
    """138****5678."""
    return _PHONE.sub(lambda m: m.group(1) + "****" + m.group(2), value)


def mask_text(text: str) -> str:
    """Mask every ID and phone number found in free text."""
    return mask_phone(mask_id_number(text))
