"""The training corpus's lines checked like the rest of the knowledge: file, line and field of each problem.

A line is `{"text": str, "bundle": slug | null, "two_errands": [slug, slug]?}`; a text appears once in the
whole corpus (a repeat would weigh twice and hide which label is meant).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Collection, Iterable
from pathlib import Path

Report = Callable[[str, str, str], None]  # file, field, message
FIELDS = frozenset({"text", "bundle", "two_errands"})


def check_corpus(files: Iterable[tuple[str, Path]], slugs: Collection[str], report: Report) -> None:
    """Report every malformed line, unknown slug and repeated text of the corpus files (name, path)."""
    seen: dict[str, str] = {}
    for name, path in files:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            report(name, "", f"cannot read: {exc}")
            continue
        for number, line in enumerate(lines, 1):
            if line.strip():
                text = _check_line(line, f"line {number}", slugs, functools.partial(report, name))
                if text is not None:
                    if text in seen:
                        report(name, f"line {number}.text", f"{text!r} repeats {seen[text]}")
                    seen.setdefault(text, f"{name} line {number}")


def _check_line(
    line: str, where: str, slugs: Collection[str], report: Callable[[str, str], None]
) -> str | None:
    """The line's text when it is well formed (problems reported), else None."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        report(where, f"not JSON: {exc.msg}")
        return None
    if not isinstance(row, dict):
        report(where, "a line is one JSON object")
        return None
    for key in sorted(set(row) - FIELDS):
        report(f"{where}.{key}", "unknown field")
    text, bundle, two = row.get("text"), row.get("bundle"), row.get("two_errands")
    ok = True
    if not isinstance(text, str) or not text.strip():
        report(f"{where}.text", "a non-empty string is required")
        ok = False
    if "bundle" not in row:
        report(f"{where}.bundle", "required (a bundle slug, or null)")
        ok = False
    elif bundle is not None and bundle not in slugs:
        report(f"{where}.bundle", f"unknown bundle {bundle!r}")
        ok = False
    if two is not None:
        if not (isinstance(two, list) and len(two) == 2 and len(set(map(str, two))) == 2):
            report(f"{where}.two_errands", "two different bundle slugs")
            ok = False
        else:
            for slug in two:
                if slug not in slugs:
                    report(f"{where}.two_errands", f"unknown bundle {slug!r}")
                    ok = False
        if bundle is not None:
            report(f"{where}.bundle", "null when the line names two errands")
            ok = False
    return text.strip() if ok and isinstance(text, str) else None
