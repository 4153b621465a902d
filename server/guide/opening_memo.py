"""A bounded memo of conversations' first turns: citizens open with the same few hundred questions, and a
repeated opening costs a lookup and a copy instead of the matcher, the dialogue's reading and the checklist.

`step` is pure (state, message, knowledge, matcher, day -> state, reply) and every conversation starts
from the same empty state, so the first turn of a text on a day is the same for everyone, within one
knowledge version: each `Served` has its own memo, so a reload starts an empty one. Turns are stored as
JSON bytes and decoded on every hit, so each request gets dicts of its own to change (the operators'
takeover adds to a reply, the store and the turn writer keep them). Keyed by the text as received
(already masked), not its canonical form: the state keeps the citizen's words. Hits and misses are
counted for `/metrics` (`guide_opening_memo_lookups_total`).
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from typing import Any

from prometheus_client import Counter

from server.guide.dialogue import Message, step
from server.guide.knowledge import Knowledge
from server.guide.matcher import Matcher
from server.json_codec import dumps, loads

LOOKUPS = Counter(
    "guide_opening_memo_lookups",
    "First turns of conversations looked up in the memo, by outcome",
    ["outcome"],
)
_HIT, _MISS = LOOKUPS.labels("hit"), LOOKUPS.labels("miss")


class OpeningMemo:
    """`step` as the dialogue answers it, with the first turns of the `size` most recently used openings
    remembered; any later turn (a state that is not empty) or a structured message goes straight through."""

    def __init__(self, knowledge: Knowledge, matcher: Matcher, size: int) -> None:
        self.knowledge = knowledge
        self.matcher = matcher
        self.size = size
        self.hits = self.misses = 0
        self._turns: OrderedDict[tuple[str, dt.date], bytes] = OrderedDict()

    def step(
        self, state: dict[str, Any], message: Message, today: dt.date
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """(next state, reply) for `message` in a conversation at `state` on `today`."""
        if state or message.text is None or message.answer is not None or message.chosen_items is not None:
            return step(state, message, self.knowledge, self.matcher, today)
        key = (message.text, today)
        stored = self._turns.get(key)
        if stored is not None:
            self._turns.move_to_end(key)
            self.hits += 1
            _HIT.inc()
            next_state, reply = loads(stored)
            return next_state, reply
        next_state, reply = step(state, message, self.knowledge, self.matcher, today)
        self.misses += 1
        _MISS.inc()
        if self.size:
            self._turns[key] = dumps([next_state, reply])
            if len(self._turns) > self.size:
                self._turns.popitem(last=False)
        return next_state, reply

    def __len__(self) -> int:
        return len(self._turns)
