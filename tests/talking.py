"""The dialogue tests' shared pieces: the guide the server builds, and one turn through a JSON round trip."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

from server.guide.dialogue import Message, step
from server.guide.knowledge import Knowledge, load_knowledge
from server.guide.matcher import Matcher

Guide = tuple[Knowledge, Matcher]
KNOWLEDGE = Path(__file__).resolve().parents[1] / "knowledge"


def edited_knowledge(tmp_path: Path, bundle: str, old: str, new: str) -> Path:
    """A copy of the repo's knowledge under `tmp_path` with `old` replaced by `new` in one bundle's file."""
    root = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, root)
    path = root / "bundles" / f"{bundle}.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{bundle}.yaml no longer says {old!r}"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return root


def build_guide() -> Guide:
    """The validated knowledge and its matcher (build once per test module: it is expensive)."""
    knowledge = load_knowledge()
    return knowledge, Matcher.from_knowledge(knowledge)


def talk(guide: Guide, day: dt.date, state: dict, text: str | None = None, **structured) -> tuple[dict, dict]:
    """One turn; the state must survive a JSON round trip, as it does in the kv role."""
    state, reply = step(state, Message(text=text, **structured), *guide, day)
    return json.loads(json.dumps(state)), reply
