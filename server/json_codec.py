"""JSON out with orjson: UTF-8 with Chinese as characters, for every response and every stored state.

orjson writes bytes in one C pass (several times faster than the standard library or ujson, which
Sanic would otherwise use and which escapes Chinese as `\\u` sequences). Numpy scalars (the ranker's
confidences) and non-string keys are written as the standard library would.
"""

from __future__ import annotations

from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY

loads = orjson.loads
JSONDecodeError = orjson.JSONDecodeError


def dumps(value: Any) -> bytes:
    """`value` as compact UTF-8 JSON bytes."""
    return orjson.dumps(value, option=_OPTIONS)


def dumps_text(value: Any) -> str:
    """`value` as compact JSON text (for stores whose values are str)."""
    return orjson.dumps(value, option=_OPTIONS).decode()
