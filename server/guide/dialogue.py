"""The guide's conversation state machine: match -> situation questions -> optional items -> checklist.

Pure: `step(state, message, knowledge, matcher, today)` returns the next state and one reply; the state is a
JSON-able dict the caller stores between turns. Every free-text message is read for every question and
optional item of the bundle (`reading`); while a questionnaire is open a message is an answer first, and it
changes bundle only when it asks about another errand (the first conversation is kept in `parked`). Only
questions that still change this person's 一次告知 are asked, the most discriminating first (`selection`);
opt-in questions are asked together with the optional items as one multi-select.

Reply types (each a dict with `type`); every reply carries `understood` (see `Understanding`):

- `question`: one situation question with its options (`question_id`, `text`, `options[{id,label}]`);
  `retry` is true when the message before was not understood as an answer.
- `clarify`: the bundles the text may be about, as a question (`question_id` "bundle", options = slugs).
- `items`: the optional items the user may add (`items[{id,name,selected}]`, `groups` required together).
- `checklist`: the 一次告知 (see `checklist.build_checklist`); `assumed` lists what was taken as likely.
- `answer`: a follow-up answered from the current bundle (`topic`, `text`), the pending `question` (or the
  items `choice`) repeated; after a retirement-date answer, `next` may carry the checklist.
- `fallback`: nothing understood; `suggestions` of close bundles and an `operator` offer.
- `reset`: the conversation was started over.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from server.guide import followups, retirement_dialogue
from server.guide.checklist import (
    ChecklistError,
    build_checklist,
    chosen_options,
    find_option,
    in_force,
    optional_items,
    questions_in_force,
)
from server.guide.knowledge import Knowledge
from server.guide.matcher import Candidate, Matcher, MatchResult
from server.guide.reading import BundleReader, Evidence, Reading, canonical, chinese_number, planned_date
from server.guide.retirement_age import RetirementAgeError
from server.guide.schema import (
    Bundle,
    DialogueReplies,
    DialogueWords,
    FollowUpTexts,
    Option,
    Polarity,
    Question,
)
from server.guide.selection import next_question, open_questions, opt_in, option_for_items, possible

BUNDLE_QUESTION = "bundle"
ITEMS_PENDING = "__items__"
MAX_SAID = 8  # texts of the current topic kept (for the record and for re-reading after a switch back)
# Situation evidence decides only among the matcher's own candidates: a candidate needs this confidence to
# be taken from a clarify or a fallback, with this many questions told; a commit below `SITUATED_KEEP_AT`
# gives way to the candidate whose questions the text tells most, when that is this many and more than any
# other's.
SITUATED_SUGGEST_AT = 0.2
SITUATED_KEEP_AT = 0.95
SITUATED_QUESTIONS = 2
_NO_REPLIES = DialogueReplies(**{f: "-" for f in DialogueReplies.model_fields})  # partial knowledge only
_NO_TEXTS = FollowUpTexts.model_validate(
    {"forms": {}} | {f: "-" for f in FollowUpTexts.model_fields if f != "forms"}
)
_MEANINGFUL = re.compile(r"[\w\u4e00-\u9fff]")
_PUNCTUATION = re.compile(r"[\s,，。.?？!！~～、;；:：]+")


class DialogueError(ValueError):
    """A structured input that does not fit the conversation (answer to a question not asked …)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Message:
    """One user turn: free text, a structured answer, chosen optional items, or several of them."""

    text: str | None = None
    answer: tuple[str, str] | None = None  # (question_id, option_id)
    chosen_items: tuple[str, ...] | None = None


def new_state() -> dict[str, Any]:
    """The state of a conversation that has not started a topic."""
    return {
        "bundle": None,
        "confidence": None,
        "answers": {},  # question id -> option id (said, tapped, or assumed)
        "pending": None,
        "candidates": [],
        "chosen_items": None,  # the optional items in the checklist, once it is given
        "decided_items": [],
        "said": [],
        "done": False,
        "narrowed": {},  # question id -> the options still possible from what was said
        "assumed": [],  # answered by the question's `assume`, not by the citizen
        "unknown": [],  # the citizen does not know; left open
        "wishes": {},  # optional item id -> wanted (said or chosen)
        "items_closed": False,  # the citizen said that nothing else is wanted
        "items_asked": False,
        "extras_said": False,  # an opt-in was answered in words: the items choice is not asked
        "parked": None,  # the conversation left for another errand, to come back to
        "planned": None,  # {date, words}: when the errand is planned ("下个月"); its rules apply as on then
    }


def step(
    state: Mapping[str, Any], message: Message, knowledge: Knowledge, matcher: Matcher, today: dt.date
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Advance the conversation by one user turn: (new state, reply)."""
    turn = _Turn(dict(state), knowledge, matcher, today)
    reply = turn.run(message)
    return turn.state, reply


_READERS: dict[int, tuple[Knowledge, dict[str, BundleReader]]] = {}


def reader_for(knowledge: Knowledge, slug: str) -> BundleReader:
    """The bundle's reader, built once per knowledge release."""
    entry = _READERS.get(id(knowledge))
    if entry is None or entry[0] is not knowledge:
        if len(_READERS) > 4:
            _READERS.clear()
        entry = (knowledge, {})
        _READERS[id(knowledge)] = entry
    readers = entry[1]
    if slug not in readers:
        readers[slug] = BundleReader(knowledge.bundles[slug], knowledge.dialogue)
    return readers[slug]


def understood_entry(question: Question, option: Option, words: str | None, source: str) -> dict[str, Any]:
    """One `understood` entry: which question, which option, from which words, and how."""
    return {
        "question_id": question.id,
        "question": question.text,
        "option_id": option.id,
        "label": option.label,
        "words": words,
        "source": source,  # said | corrected | assumed | tapped | unsure
    }


def finished_checklist(
    state: Mapping[str, Any], knowledge: Knowledge, today: dt.date
) -> dict[str, Any] | None:
    """The checklist a conversation has reached (as its last checklist reply showed), or None before that."""
    if not state.get("done") or not state.get("bundle") or state["bundle"] not in knowledge.bundles:
        return None
    try:
        return _Turn(dict(state), knowledge, None, today)._checklist()  # type: ignore[arg-type]
    except ChecklistError:  # the knowledge changed under the conversation
        return None


class _Turn:
    """One step's working context; its methods share the state, knowledge, matcher and date."""

    def __init__(self, state: dict[str, Any], knowledge: Knowledge, matcher: Matcher, today: dt.date):
        self.now = today  # the real day; `today` is the day the rules are applied on (a planned day)
        self._start(_fresh(state))
        self.knowledge = knowledge
        self.words: DialogueWords = knowledge.dialogue
        self.replies: DialogueReplies = knowledge.dialogue.replies or _NO_REPLIES
        self.texts: FollowUpTexts = knowledge.dialogue.follow_up_texts or _NO_TEXTS
        self.matcher = matcher
        self.understood: list[dict[str, Any]] = []
        self.understood_items: list[dict[str, Any]] = []
        # (slug, text, day, pending) -> its reading: a turn that weighs candidates reads a text for each
        # and then again for the one it commits to (a reading is immutable and depends on nothing else)
        self._readings: dict[tuple[str, str, dt.date, str | None], Reading] = {}

    def _start(self, state: dict[str, Any]) -> None:
        """Take `state` as the conversation, with the day its rules apply on (its planned day, if later)."""
        self.state = state
        planned = state.get("planned")
        self.today = max(self.now, dt.date.fromisoformat(planned["date"])) if planned else self.now

    # --- entry --------------------------------------------------------------------------------

    def run(self, message: Message) -> dict[str, Any]:
        """Structured parts first (answer, chosen items), then free text; then say what comes next."""
        if message.answer is not None and retirement_dialogue.owns(message.answer[0]):
            return self._retirement_date(None, message.answer) or self._fallback(None)
        if message.answer is not None:
            return self._structured_answer(*message.answer)
        if message.chosen_items is not None:
            return self._choose_items(message.chosen_items)
        return self._text(message.text or "")

    def _structured_answer(self, question_id: str, option_id: str) -> dict[str, Any]:
        """A button press: the pending question, or one answered or assumed before, to change it."""
        if question_id == BUNDLE_QUESTION and self.state["pending"] == BUNDLE_QUESTION:
            if option_id not in self.state["candidates"]:
                raise DialogueError("unknown_option", f"'{option_id}' is not one of the bundles offered.")
            return self._commit(option_id, None, self.state["said"])
        asked = {self.state["pending"], *self.state["answers"], *self.state["unknown"]}
        asked -= {None, ITEMS_PENDING, BUNDLE_QUESTION}
        if self.state["bundle"] is None or question_id not in asked:
            raise DialogueError(
                "question_not_asked", f"Question '{question_id}' was not asked in this conversation."
            )
        question = self._question(question_id)
        option = find_option(question, option_id, self.today) if question else None
        if question is None or option is None:
            raise DialogueError("unknown_option", f"Question '{question_id}' has no option '{option_id}'.")
        self._set_answer(question, option, None, "tapped")
        return self._advance()

    def _choose_items(self, chosen: Sequence[str]) -> dict[str, Any]:
        """Chosen optional items, validated by the checklist (unknown items, partial groups)."""
        slug = self.state["bundle"]
        if slug is None:
            raise DialogueError("no_bundle", "Choose items after the guide has recognised a bundle.")
        offered = self._offered_items()
        final = [i for i in self._default_choice() if i not in offered] + [i for i in chosen if i in offered]
        final += [i for i in chosen if i not in final]
        try:
            build_checklist(self.knowledge, slug, self.state["answers"], final, self.today)
        except ChecklistError as exc:
            raise DialogueError(exc.code, exc.message) from exc
        for item in offered:
            self.state["wishes"][item] = item in chosen
        for item in chosen:
            self.state["wishes"][item] = True
        self.state["items_asked"] = True
        return self._advance()

    def _text(self, text: str) -> dict[str, Any]:
        """Free text: reset, an answer (to anything in the bundle), a follow-up, or a (new) subject."""
        text = text.strip()
        folded = canonical(text)
        if any(canonical(word) in folded for word in self.words.reset):
            self._start(new_state())
            return {"type": "reset", "text": self.replies.reset}
        if not _MEANINGFUL.search(text):
            return self._fallback(None)
        if (reply := self._retirement_date(text, None)) is not None:
            return reply
        pending = self.state["pending"]
        if pending == BUNDLE_QUESTION:
            picked = self._pick_candidate(text)
            if picked:
                return self._commit(picked, None, [*self.state["said"], text])
            return self._subject(text)
        if self.state["bundle"] is None:
            return self._subject(text)
        reading = self._read(self.state["bundle"], text)
        if self._apply(reading, text):
            self._remember(text)
            return self._advance()
        return self._not_an_answer(text, reading)

    def _retirement_date(self, text: str | None, answer: tuple[str, str] | None) -> dict[str, Any] | None:
        """'When can I retire?': the retirement bundle's own calculation, asking only what is missing.

        Once the date is answered, the same words are read for the retirement questionnaire and its next
        step rides along (`question`, `choice` for the items or `next` with the checklist): nothing is lost.
        """
        facts = self.state.get(retirement_dialogue.STATE_KEY)
        try:
            outcome = retirement_dialogue.respond(facts, text, answer, self.knowledge.retirement, self.today)
        except RetirementAgeError as exc:
            raise DialogueError(exc.code, exc.message) from exc
        if outcome is None:
            return None
        if self.state["bundle"] != retirement_dialogue.BUNDLE:
            self._start({**new_state(), "bundle": retirement_dialogue.BUNDLE})
        self.state[retirement_dialogue.STATE_KEY], reply = outcome
        if text is not None:
            self._remember(text)
            self._apply(self._read(retirement_dialogue.BUNDLE, text), text)
        if reply["type"] != "answer":
            return reply
        after = self._advance()
        reply[{"question": "question", "items": "choice"}.get(after["type"], "next")] = after
        return reply

    # --- applying what a message says ----------------------------------------------------------

    def _read(self, slug: str, text: str) -> Reading:
        """Read `text` for the bundle as on the planned day, once the text has said when ("明年卖" makes a
        flat bought in 2024 held three years)."""
        planned = planned_date(canonical(text), self.words, self.now)
        if planned is not None and planned[0] > self.now:
            self.state["planned"] = {"date": planned[0].isoformat(), "words": planned[1]}
            self.today = planned[0]
        pending = self.state["pending"] if slug == self.state.get("bundle") else None
        return self._reading(slug, text, self.today, pending)

    def _reading(self, slug: str, text: str, day: dt.date, pending: str | None) -> Reading:
        key = (slug, text, day, pending)
        reading = self._readings.get(key)
        if reading is None:
            reading = self._readings[key] = reader_for(self.knowledge, slug).read(text, day, pending)
        return reading

    def _apply(self, reading: Reading, text: str) -> bool:
        """Apply the reading to the conversation; True when anything was understood."""
        changed = False
        told: list[Question] = []
        for question in questions_in_force(self._bundle(), self.today):
            evidence = reading.about(question.id)
            if evidence and self._narrow(question, evidence, bool(reading.correction)):
                changed = True
                told.append(question)
        self._narrow_gates(told)
        changed = self._apply_wishes(reading) or changed
        pending = self.state["pending"]
        if pending not in (None, ITEMS_PENDING, BUNDLE_QUESTION):
            # "没交过" / "还没，想一块办": a message opening with yes or no answers the question asked,
            # whatever else it tells about other questions.
            asked = self._question(pending)
            opens = (reading.yes or reading.no) and not reading.about(pending)
            if asked is not None and (not changed or opens):
                changed = self._bare_answer(asked, reading) or changed
        if pending == ITEMS_PENDING and not changed:
            changed = self._bare_items(reading)
        return changed

    def _narrow(self, question: Question, evidence: list[Evidence], correction: bool) -> bool:
        """Narrow one question by the clauses about it; an answer given before may be corrected."""
        options = [o.id for o in in_force(question.options, self.today)]
        before = self.state["answers"].get(question.id)
        assumed = question.id in self.state["assumed"]
        current = (
            [before]
            if before is not None and not assumed
            else list(self.state["narrowed"].get(question.id, options))
        )
        words: list[str] = []
        for item in evidence:
            if item.negated:
                kept = [o for o in current if o not in item.options]
                if kept and kept != current:
                    current = kept
                    words.append(item.words)
                elif not kept and before is not None:
                    current = [o for o in options if o not in item.options]
                    words.append(item.words)
            else:
                kept = [o for o in current if o in item.options]
                current = kept or [o for o in options if o in item.options]
                words.append(item.words)
        named = {o for item in evidence if not item.negated and len(item.options) == 1 for o in item.options}
        combined = [
            o.id for o in in_force(question.options, self.today) if o.all_of and set(o.all_of) <= named
        ]
        current = combined[:1] or current
        if not words or not current:
            return False
        said = "、".join(dict.fromkeys(words))
        if len(current) == 1:
            option = find_option(question, current[0], self.today)
            if option is None or (before == option.id and not assumed):
                return False
            # An assumption replaced is "said", unless the citizen says it corrects ("不对，我是二婚").
            source = "corrected" if before is not None and (not assumed or correction) else "said"
            self._set_answer(question, option, said, source)
            if opt_in(self._bundle(), question):
                self.state["extras_said"] = True
            return True
        if before is not None:
            self.state["answers"].pop(question.id, None)
            _drop(self.state["assumed"], question.id)
        self.state["narrowed"][question.id] = current
        return current != options

    def _narrow_gates(self, told: Sequence[Question]) -> None:
        """A question answered whose `ask_if` was not known narrows it: the buyer's loan told, the side is
        the buyer's or both ("首付凑齐了" → 买方; with the seller's mortgage too → 买卖双方)."""
        for question in told:
            for condition in question.ask_if:
                gate = self._question(condition.question)
                if gate is None or not gate.told_by_dependents or gate.id in self.state["answers"]:
                    continue
                current = self.state["narrowed"].get(
                    gate.id, [o.id for o in in_force(gate.options, self.today)]
                )
                kept = [o for o in current if o in condition.options]
                if kept and kept != current:
                    self.state["narrowed"][gate.id] = kept
                    if len(kept) == 1 and (option := find_option(gate, kept[0], self.today)):
                        self._set_answer(gate, option, None, "assumed")
                        self.state["assumed"].append(gate.id)

    def _set_answer(self, question: Question, option: Option, words: str | None, source: str) -> None:
        self.state["answers"][question.id] = option.id
        self.state["narrowed"].pop(question.id, None)
        _drop(self.state["assumed"], question.id)
        _drop(self.state["unknown"], question.id)
        self.understood.append(understood_entry(question, option, words, source))

    def _bare_answer(self, question: Question, reading: Reading) -> bool:
        """A bare yes/no or "I don't know" to the pending question."""
        if reading.unsure:
            option = question.unsure and find_option(question, question.unsure, self.today)
            if option:
                self._set_answer(question, option, reading.unsure, "unsure")
            elif question.id not in self.state["unknown"]:
                self.state["unknown"].append(question.id)
            return True
        word = reading.no or reading.yes
        polarity = Polarity.no if reading.no else Polarity.yes
        if word is None:
            return self._by_label(question, reading.text)
        choices = [
            o for o in possible(question, self.state["narrowed"], self.today) if o.polarity == polarity
        ]
        if len(choices) != 1:
            return False
        self._set_answer(question, choices[0], word, "said")
        return True

    def _by_label(self, question: Question, text: str) -> bool:
        """A short reply that is (part of) exactly one option's label: "贷款", "正常退休", or the label."""
        core = self._core(text)
        if len(core) < 2:
            return False
        options = possible(question, self.state["narrowed"], self.today)
        fitting = [o for o in options if core in canonical(o.label) or canonical(o.label) in core]
        if len(fitting) != 1:
            return False
        self._set_answer(question, fitting[0], text, "said")
        return True

    def _apply_wishes(self, reading: Reading) -> bool:
        changed = False
        names = {i.id: i.name for i in optional_items(self.knowledge, self.state["bundle"], self.today)}
        for wish in reading.wishes:
            if wish.item in names and self.state["wishes"].get(wish.item) != wish.wanted:
                self.state["wishes"][wish.item] = wish.wanted
                self.understood_items.append(
                    {
                        "item_id": wish.item,
                        "name": names[wish.item],
                        "wanted": wish.wanted,
                        "words": wish.words,
                    }
                )
                changed = True
        if reading.closing and not self.state["items_closed"]:
            self.state["items_closed"] = True
            self.understood_items.append(
                {"item_id": None, "name": self.replies.others, "wanted": False, "words": reading.closing}
            )
            changed = True
        if changed:
            self.state["extras_said"] = True
        return changed

    def _bare_items(self, reading: Reading) -> bool:
        """ "都要", "不用了", "就这些", "不清楚" to the items choice."""
        offered = self._offered_items()
        if reading.everything:
            wanted: bool | None = True
        elif reading.no:
            wanted = False
        elif reading.yes or reading.unsure:
            wanted = None  # the defaults
        else:
            return False
        for item in offered:
            if wanted is not None:
                self.state["wishes"][item] = wanted
        words = reading.everything or reading.no or reading.yes or reading.unsure
        self.understood_items.append(
            {"item_id": None, "name": self.replies.all_optional, "wanted": wanted, "words": words}
        )
        self.state["items_asked"] = True
        return True

    # --- when a message is no answer -----------------------------------------------------------

    def _not_an_answer(self, text: str, reading: Reading) -> dict[str, Any]:
        """A follow-up, another errand, or nothing understood (the pending question again)."""
        result = self.matcher.match(text)
        other = result.decision == "commit" and result.slug not in (None, self.state["bundle"])
        questionnaire_open = self.state["pending"] is not None
        if other and result.slug in self.knowledge.bundles and (reading.new_errand or not questionnaire_open):
            return self._switch(result, text)
        topic = reading.follow_up or self._faq_or_item(text)
        if topic:
            return self._follow_up(topic, text)
        if result.decision == "clarify" and not questionnaire_open:
            return self._clarify(result, text)
        return self._retry(result)

    def _switch(self, result: MatchResult, text: str) -> dict[str, Any]:
        """Another errand: keep this conversation to come back to, start the new one."""
        previous = self.state
        slug = str(result.slug)
        parked = previous.get("parked")
        if parked and parked.get("bundle") == slug:
            self._start({**_fresh(parked), "parked": {**previous, "parked": None}})
            self._remember(text)
            self._apply(self._read(slug, text), text)
            return {**self._advance(), "resumed": slug}
        reply = self._commit(slug, result.candidates[0].score, [text])
        self.state["parked"] = {**previous, "parked": None}
        return {**reply, "parked": previous["bundle"]}

    def _retry(self, result: MatchResult) -> dict[str, Any]:
        """Say the message was not understood as an answer and ask the pending question again."""
        pending = self.state["pending"]
        if pending == ITEMS_PENDING:
            return {**self._items_reply(self._offered_items()), "retry": True}
        question = self._question(pending) if pending else None
        if question is None:
            return self._fallback(result)
        return {**self._question_reply(question), "retry": True}

    # --- bundles --------------------------------------------------------------------------------

    def _subject(self, text: str) -> dict[str, Any]:
        """Match the text as a subject: commit, clarify, or fall back."""
        result = self.matcher.match(text)
        situated = self._situated(result, text)
        if situated is not None:
            return self._commit(situated.slug, situated.score, [text])
        if result.decision == "commit" and result.slug is not None and result.slug in self.knowledge.bundles:
            return self._commit(result.slug, result.candidates[0].score, [text])
        if result.decision == "clarify":
            return self._clarify(result, text)
        return self._fallback(result)

    def _situated(self, result: MatchResult, text: str) -> Candidate | None:
        """The candidate whose situation the text describes, when the matcher would ask or give up.

        A message that states a situation ("还欠银行四十多万, 买家也要贷款") answers questions of the bundle
        it is about. When the matcher does not commit, or commits unsure, the one of its own candidates
        whose questions the text answers (`SITUATED_QUESTIONS` of them, and more than any other's) is
        taken; never one of two errands asked at once.
        """
        candidates = [c for c in result.candidates if c.slug in self.knowledge.bundles]
        if len(candidates) < 2 or result.two_errands:
            return None  # two errands asked at once are offered both, never one taken silently
        committed = result.decision == "commit"
        if committed and candidates[0].score >= SITUATED_KEEP_AT:
            return None
        told = {c.slug: self._questions_told(c.slug, text) for c in candidates}
        if committed and told[candidates[0].slug] >= SITUATED_QUESTIONS:
            # the text tells the committed bundle's situation too ("老伴在医院走了": 去世地点, 配偶)
            return None
        best = max(candidates, key=lambda c: told[c.slug])
        others = max(n for slug, n in told.items() if slug != best.slug)
        # More of the best one's questions told than any other's ("老伴走了好几年 … 想领证, 她也离过婚").
        alone = others < told[best.slug]
        enough = told[best.slug] >= SITUATED_QUESTIONS and alone
        return best if enough and (committed or best.score >= SITUATED_SUGGEST_AT) else None

    def _questions_told(self, slug: str, text: str) -> int:
        """How many of the bundle's questions the text settles or narrows (positive evidence only)."""
        reading = self._reading(slug, text, self.today, None)
        return len({e.question for e in reading.evidence if not e.negated})

    def _commit(self, slug: str, confidence: float | None, said: list[str]) -> dict[str, Any]:
        """Start a topic on `slug`, taking every answer the user's words already give."""
        self._start({**new_state(), "bundle": slug, "confidence": confidence, "said": said[-MAX_SAID:]})
        for text in said:
            self._apply(self._read(slug, text), text)
        return self._advance()

    def _clarify(self, result: MatchResult, text: str) -> dict[str, Any]:
        """Ask which of the close bundles is meant; commits to none until the user picks. The text is kept:
        once a bundle is picked, it is read for that bundle's questions like any opening."""
        slugs = [c.slug for c in result.candidates if c.slug in self.knowledge.bundles]
        self._start({**new_state(), "pending": BUNDLE_QUESTION, "candidates": slugs, "said": [text]})
        names = [self.knowledge.bundles[s].name for s in slugs]
        replies = self.replies
        text = replies.clarify_one.format(name=names[0]) if len(names) == 1 else replies.clarify_many
        if result.two_errands and len(names) == 2:
            text = replies.clarify_two.format(first=names[0], second=names[1])
        return {
            "type": "clarify",
            "question_id": BUNDLE_QUESTION,
            "text": text,
            "two_errands": result.two_errands,
            "options": [{"id": s, "label": n} for s, n in zip(slugs, names, strict=True)],
            "understood": [],
        }

    def _pick_candidate(self, text: str) -> str | None:
        """The clarify option the user picked by ordinal, name, a bare yes, or a fresh match."""
        candidates = self.state["candidates"]
        core = self._core(text)
        ordinal = _ordinal(core, self.words)
        if ordinal is not None and 0 <= ordinal < len(candidates):
            return str(candidates[ordinal])
        folded = canonical(text)
        is_yes = any(folded.startswith(canonical(w)) for w in self.words.yes) and not any(
            folded.startswith(canonical(w)) for w in self.words.no
        )
        if len(candidates) == 1 and is_yes:
            return str(candidates[0])
        for slug in candidates:
            if self.knowledge.bundles[slug].name.split("(")[0] in text:
                return str(slug)
        ranked = [c.slug for c in self.matcher.match(text).candidates if c.slug in candidates]
        return ranked[0] if ranked else None

    def _fallback(self, result: MatchResult | None) -> dict[str, Any]:
        """Nothing fits: say so, suggest the closest bundles, offer a human operator; keep the topic."""
        slugs = [c.slug for c in (result.candidates if result else ()) if c.slug in self.knowledge.bundles]
        out_of_scope = result.out_of_scope if result else None
        if out_of_scope:
            text = self.replies.out_of_scope.format(term=out_of_scope)
        else:
            text = self.replies.fallback
        return {
            "type": "fallback",
            "text": text,
            "out_of_scope": out_of_scope,
            "suggestions": [{"slug": s, "name": self.knowledge.bundles[s].name} for s in slugs],
            "operator": {"available": True, "text": self.replies.operator},
            "understood": [],
        }

    # --- questions and items ---------------------------------------------------------------------

    def _bundle(self) -> Bundle:
        return self.knowledge.bundles[self.state["bundle"]]

    def _question(self, question_id: str) -> Question | None:
        if self.state["bundle"] is None:
            return None
        return next((q for q in questions_in_force(self._bundle(), self.today) if q.id == question_id), None)

    def _remember(self, text: str) -> None:
        self.state["said"] = [*self.state["said"], text][-MAX_SAID:]

    def _assume(self) -> None:
        """Take each open question's likely option (`assume`) unless what was said rules it out."""
        changed = True
        while changed:
            changed = False
            for question in open_questions(self._bundle(), self.state["answers"], self.today):
                allowed = self.state["narrowed"].get(question.id)
                likely = _likely(question, allowed)
                if likely is None or question.id in self.state["unknown"]:
                    continue
                option = find_option(question, likely, self.today)
                if option is None or (allowed is not None and option.id not in allowed):
                    continue
                self.state["answers"][question.id] = option.id
                self.state["assumed"].append(question.id)
                self.understood.append(understood_entry(question, option, None, "assumed"))
                changed = True

    def _advance(self) -> dict[str, Any]:
        """Ask the next question that matters, then the optional items, then give the checklist."""
        self._assume()
        bundle = self._bundle()
        skip = set(self.state["unknown"])
        question = next_question(bundle, self.state["answers"], self.state["narrowed"], skip, self.today)
        if question is not None:
            self.state["pending"] = question.id
            self.state["done"] = False
            return self._question_reply(question)
        offered = self._offered_items()
        wished = set(self.state["wishes"]) & set(offered)
        quiet = not (wished or self.state["items_closed"] or self.state["extras_said"])
        if offered and not self.state["items_asked"] and quiet:
            self.state["pending"] = ITEMS_PENDING
            self.state["done"] = False
            return self._items_reply(offered)
        self._settle_opt_ins()
        self.state["pending"] = None
        self.state["done"] = True
        return {
            "type": "checklist",
            "understood": self.understood,
            "understood_items": self.understood_items,
            "assumed": self._assumed_entries(),
            "planned": self.state["planned"],
            "checklist": self._checklist(),
        }

    def _assumed_entries(self) -> list[dict[str, Any]]:
        entries = []
        for question_id in self.state["assumed"]:
            question = self._question(question_id)
            option = question and find_option(question, self.state["answers"][question_id], self.today)
            if question and option:
                entries.append(understood_entry(question, option, None, "assumed"))
        return entries

    def _question_reply(self, question: Question) -> dict[str, Any]:
        """The question, or its narrower form once what was said leaves only some options."""
        narrowed = self.state["narrowed"].get(question.id)
        options = in_force(question.options, self.today)
        text = question.text
        if narrowed:
            options = [o for o in options if o.id in narrowed] or options
            group = next((g for g in question.groups if g.ask and set(g.options) == set(narrowed)), None)
            text = group.ask if group and group.ask else text
        return {
            "type": "question",
            "question_id": question.id,
            "text": text,
            "help": question.help,
            "options": [{"id": o.id, "label": o.label} for o in options],
            "narrowed_to": narrowed,
            "understood": self.understood,
            "understood_items": self.understood_items,
        }

    def _options(self) -> list[Option]:
        return chosen_options(self.knowledge, self.state["bundle"], self.state["answers"], self.today)

    def _decided_by_answers(self) -> dict[str, bool]:
        """Optional items the answers switch on or off."""
        decided: dict[str, bool] = {}
        for option in self._options():
            decided.update({i: False for i in option.drop_items})
            decided.update({i: True for i in option.add_items})
        return decided

    def _offered_items(self) -> list[str]:
        """Optional items no answer has already decided: the ones worth asking about."""
        decided = self._decided_by_answers()
        return [
            i.id
            for i in optional_items(self.knowledge, self.state["bundle"], self.today)
            if i.id not in decided
        ]

    def _default_choice(self) -> list[str]:
        """The optional items chosen: wished, else decided by answers, else (unless closed) the default."""
        bundle = self._bundle()
        defaults = {e.item for e in bundle.items if e.optional and e.selected_by_default}
        decided = self._decided_by_answers()
        chosen = []
        for item in optional_items(self.knowledge, bundle.slug, self.today):
            wish = self.state["wishes"].get(item.id)
            if wish is None:
                wish = decided.get(item.id)
            if wish is None:
                wish = item.id in defaults and not self.state["items_closed"]
            if wish:
                chosen.append(item.id)
        return _with_groups(bundle, chosen)

    def _items_reply(self, offered: list[str]) -> dict[str, Any]:
        preselected = set(self._default_choice())
        bundle = self._bundle()
        return {
            "type": "items",
            "text": self.replies.items,
            "items": [
                {"id": i, "name": self.knowledge.items[i].name, "selected": i in preselected} for i in offered
            ],
            "groups": [list(g) for g in bundle.required_together],
            "understood": self.understood,
            "understood_items": self.understood_items,
        }

    def _settle_opt_ins(self) -> None:
        """Fix the chosen items, and answer the opt-in questions they amount to (for their notes)."""
        chosen = self._default_choice()
        self.state["chosen_items"] = chosen
        bundle = self._bundle()
        for question in open_questions(bundle, self.state["answers"], self.today):
            if opt_in(bundle, question) and (option := option_for_items(question, chosen, self.today)):
                self.state["answers"][question.id] = option.id

    def _checklist(self) -> dict[str, Any]:
        return build_checklist(
            self.knowledge,
            self.state["bundle"],
            self.state["answers"],
            self.state["chosen_items"],
            self.today,
        )

    # --- follow-ups ------------------------------------------------------------------------------

    def _core(self, text: str) -> str:
        core = _PUNCTUATION.sub("", canonical(text))
        for filler in sorted(self.words.fillers, key=len, reverse=True):
            core = core.replace(canonical(filler), "")
        return core

    def _faq_or_item(self, text: str) -> str | None:
        """'faq' or 'item' when a short question names a FAQ keyword or one of the bundle's items."""
        core = self._core(text)
        if len(core) < 2:
            return None
        if any(_faq_hits(entry.keywords, entry.question, text, core) for entry in self._faqs()):
            return "faq"
        checklist = build_checklist(
            self.knowledge, self.state["bundle"], self.state["answers"], self._default_choice(), self.today
        )
        if followups.about(checklist, core, self.texts) is not None:
            return "item"
        return None

    def _faqs(self) -> list[Any]:
        return in_force(self._bundle().faq, self.today)

    def _follow_up(self, topic: str, text: str) -> dict[str, Any]:
        """Answer a follow-up from the current bundle's knowledge, repeating a pending question."""
        checklist = build_checklist(
            self.knowledge, self.state["bundle"], self.state["answers"], self._default_choice(), self.today
        )
        core = self._core(text)
        faq = next((e for e in self._faqs() if _faq_hits(e.keywords, e.question, text, core)), None)
        if faq is not None:
            answer, topic = faq.answer, "faq"
        else:
            answer = followups.answer(topic, checklist, core, self.texts)
        reply: dict[str, Any] = {"type": "answer", "topic": topic, "text": answer, "understood": []}
        pending = self.state["pending"]
        if pending == ITEMS_PENDING:
            reply["choice"] = self._items_reply(self._offered_items())
        elif pending not in (None, BUNDLE_QUESTION) and (question := self._question(pending)):
            reply["question"] = self._question_reply(question)
        return reply


# --- helpers -------------------------------------------------------------------------------------


def _fresh(state: Mapping[str, Any]) -> dict[str, Any]:
    """A state with every key, its containers copied (states stored by older versions lack some)."""
    fresh = {**new_state(), **state}
    for key in ("answers", "narrowed", "wishes"):
        fresh[key] = dict(fresh[key] or {})
    for key in ("assumed", "unknown", "said", "candidates"):
        fresh[key] = list(fresh[key] or [])
    return fresh


def _likely(question: Question, narrowed: Sequence[str] | None) -> str | None:
    """The option to assume: that of the group the citizen's words narrowed the question to, if it says
    one, else the question's own."""
    if narrowed:
        for group in question.groups:
            if group.assume in narrowed and set(narrowed) <= set(group.options):
                return group.assume
    return question.assume


def _drop(values: list[str], value: str) -> None:
    if value in values:
        values.remove(value)


def _ordinal(core: str, words: DialogueWords) -> int | None:
    """ "2", "第二个", "二" → 1 (zero-based) for a short reply; None otherwise."""
    digits = "".join(ch for ch in core if ch.isdigit() or ch in words.numerals)
    if not digits or len(core) > len(digits) + 2:
        return None
    value = chinese_number(digits, words.numerals)
    return int(value) - 1 if value is not None and value >= 1 and value == int(value) else None


def _faq_hits(keywords: Sequence[str], question: str, text: str, core: str) -> bool:
    """A FAQ fits when one of its keywords is in the text or the text's core is in a keyword/question."""
    return any(k in text for k in keywords) or (
        len(core) >= 2 and (core in question or any(core in k for k in keywords))
    )


def _with_groups(bundle: Bundle, chosen: list[str]) -> list[str]:
    """Chosen items completed with the rest of any group required together."""
    result = list(dict.fromkeys(chosen))
    for group in bundle.required_together:
        if set(group) & set(result):
            result += [i for i in group if i not in result]
    return result
