"""The guide's conversation state machine: match -> situation questions -> optional items -> checklist.

Pure: `step(state, message, knowledge, matcher, today)` returns the next state and one reply; the state is a
JSON-able dict the caller stores between turns. Reply types (each a dict with `type`):

- `question`: one situation question with its options (`question_id`, `text`, `options[{id,label}]`);
  `understood` lists answers taken from what the user already said.
- `clarify`: the bundles the text may be about, as a question (`question_id` "bundle", options = slugs).
- `items`: the optional items the user may add (`items[{id,name,selected}]`, `groups` required together).
- `checklist`: the 一次告知 (see `checklist.build_checklist`).
- `answer`: a follow-up answered from the current bundle (`topic`, `text`).
- `fallback`: nothing understood; `suggestions` of close bundles and an `operator` offer.
- `reset`: the conversation was started over.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from server.guide import retirement_dialogue
from server.guide.checklist import (
    ChecklistError,
    applies,
    build_checklist,
    chosen_options,
    find_option,
    in_force,
    optional_items,
    questions_in_force,
    select_items,
)
from server.guide.knowledge import Knowledge
from server.guide.matcher import Matcher, MatchResult
from server.guide.retirement_age import RetirementAgeError
from server.guide.schema import Bundle, Option, Question

BUNDLE_QUESTION = "bundle"
ITEMS_PENDING = "__items__"
MAX_SAID = 8  # texts of the current topic kept for inferring answers
RESET_WORDS = ("重新开始", "从头开始", "重来", "重新来", "换个问题", "reset")
_NEGATORS = "不没非无别"
_AFFIRM = ("对", "是", "嗯", "要", "需要", "好", "有", "行", "可以", "想", "ok", "yes")
_NEGATE = ("不", "没", "否", "无", "暂不", "都不", "no")
_GENERIC_CHARS = set("要不需没有是否确定好都办暂时以后再说一起")  # yes/no-only synonyms prove nothing
_MEANINGFUL = re.compile(r"[\w\u4e00-\u9fff]")
_FILLER = re.compile(r"[那呢吗嘛啊呀吧的了么还请问一下,，。.?？!！\s]")
_ORDINALS = {"1": 0, "一": 0, "第一": 0, "2": 1, "二": 1, "第二": 1, "3": 2, "三": 2, "第三": 2}

FOLLOW_UPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("time", ("多久", "多长时间", "几天", "时限", "多少天", "什么时候能", "多快")),
    ("fee", ("钱", "收费", "费用", "免费", "花费", "交费", "缴费")),
    ("online", ("网上", "线上", "手机", "app", "APP", "网办", "小程序", "不用跑")),
    ("in_person", ("本人", "亲自", "代办", "委托", "别人去", "代替")),
    ("place", ("在哪", "哪里", "去哪", "地址", "窗口", "哪个部门", "什么地方")),
    ("materials", ("材料", "带什么", "准备什么", "要带", "证件")),
)


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
        "answers": {},
        "pending": None,
        "candidates": [],
        "chosen_items": None,
        "decided_items": [],
        "said": [],
        "done": False,
    }


def step(
    state: Mapping[str, Any], message: Message, knowledge: Knowledge, matcher: Matcher, today: dt.date
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Advance the conversation by one user turn: (new state, reply)."""
    turn = _Turn(dict(state), knowledge, matcher, today)
    reply = turn.run(message)
    return turn.state, reply


class _Turn:
    """One step's working context; its methods share the state, knowledge, matcher and date."""

    def __init__(self, state: dict[str, Any], knowledge: Knowledge, matcher: Matcher, today: dt.date):
        self.state = {**new_state(), **state, "answers": dict(state.get("answers", {}))}
        self.knowledge = knowledge
        self.matcher = matcher
        self.today = today

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
        """A button press: the pending question (or one answered before, to change it)."""
        if question_id == BUNDLE_QUESTION and self.state["pending"] == BUNDLE_QUESTION:
            if option_id not in self.state["candidates"]:
                raise DialogueError("unknown_option", f"'{option_id}' is not one of the bundles offered.")
            return self._commit(option_id, None, [])
        asked = {self.state["pending"], *self.state["answers"]} - {None, ITEMS_PENDING, BUNDLE_QUESTION}
        if self.state["bundle"] is None or question_id not in asked:
            raise DialogueError(
                "question_not_asked", f"Question '{question_id}' was not asked in this conversation."
            )
        question = self._question(question_id)
        if question is None or find_option(question, option_id, self.today) is None:
            raise DialogueError("unknown_option", f"Question '{question_id}' has no option '{option_id}'.")
        self.state["answers"][question_id] = option_id
        return self._advance([])

    def _choose_items(self, chosen: Sequence[str]) -> dict[str, Any]:
        """Chosen optional items, validated by the checklist (unknown items, partial groups)."""
        slug = self.state["bundle"]
        if slug is None:
            raise DialogueError("no_bundle", "Choose items after the guide has recognised a bundle.")
        try:
            build_checklist(self.knowledge, slug, self.state["answers"], chosen, self.today)
        except ChecklistError as exc:
            raise DialogueError(exc.code, exc.message) from exc
        self.state["chosen_items"] = list(chosen)
        return self._advance([])

    def _text(self, text: str) -> dict[str, Any]:
        """Free text: reset, an answer to what is pending, a follow-up, or a (new) subject."""
        text = text.strip()
        normal = self.matcher.normalize(text)
        if any(word in text or word in normal for word in RESET_WORDS):
            self.state = new_state()
            return {"type": "reset", "text": "好的,我们重新开始。请告诉我您想办什么事,例如“我们想领结婚证”。"}
        if not _MEANINGFUL.search(text):
            return self._fallback(None)
        if (reply := self._retirement_date(text, None)) is not None:
            return reply
        pending = self.state["pending"]
        if pending == BUNDLE_QUESTION:
            picked = self._pick_candidate(text, normal)
            if picked:
                return self._commit(picked, None, [text])
        elif pending == ITEMS_PENDING:
            picked_items = self._pick_items(text, normal)
            if picked_items is not None:
                self.state["chosen_items"] = picked_items
                return self._advance([])
        elif pending is not None:
            question = self._question(pending)
            option = question and (
                _by_terms(question, text, normal, self.today) or _by_polarity(question, normal)
            )
            if question and option and not _follow_up_topic(text):
                self.state["answers"][question.id] = option.id
                self._remember(text)
                return self._advance([])
        if self.state["bundle"] and (topic := _follow_up_topic(text) or self._faq_or_item(text)):
            return self._follow_up(topic, text)
        return self._subject(text)

    def _retirement_date(self, text: str | None, answer: tuple[str, str] | None) -> dict[str, Any] | None:
        """'When can I retire?': the retirement bundle's own calculation, asking only what is missing."""
        facts = self.state.get(retirement_dialogue.STATE_KEY)
        try:
            outcome = retirement_dialogue.respond(facts, text, answer, self.knowledge.retirement, self.today)
        except RetirementAgeError as exc:
            raise DialogueError(exc.code, exc.message) from exc
        if outcome is None:
            return None
        if self.state["bundle"] != retirement_dialogue.BUNDLE:
            self.state = {**new_state(), "bundle": retirement_dialogue.BUNDLE}
        self.state[retirement_dialogue.STATE_KEY], reply = outcome
        pending = self.state["pending"]
        if reply["type"] == "answer" and pending not in (None, ITEMS_PENDING, BUNDLE_QUESTION):
            if question := self._question(pending):
                reply["question"] = self._question_reply(question, [])
        return reply

    # --- bundles --------------------------------------------------------------------------------

    def _subject(self, text: str) -> dict[str, Any]:
        """Match the text as a subject: commit (new topic or refinement), clarify, or fall back."""
        result = self.matcher.match(text)
        if result.decision == "commit" and result.slug is not None and result.slug in self.knowledge.bundles:
            if result.slug == self.state["bundle"]:
                self._remember(text)
                return self._advance(self._infer())
            return self._commit(result.slug, result.candidates[0].score, [text])
        if result.decision == "clarify":
            return self._clarify(result)
        return self._fallback(result)

    def _commit(self, slug: str, confidence: float | None, said: list[str]) -> dict[str, Any]:
        """Start a topic on `slug`, taking every answer the user's words already give."""
        self.state = {**new_state(), "bundle": slug, "confidence": confidence, "said": said[-MAX_SAID:]}
        return self._advance(self._infer())

    def _clarify(self, result: MatchResult) -> dict[str, Any]:
        """Ask which of the close bundles is meant; commits to none until the user picks."""
        slugs = [c.slug for c in result.candidates if c.slug in self.knowledge.bundles]
        self.state = {**new_state(), "pending": BUNDLE_QUESTION, "candidates": slugs}
        names = [self.knowledge.bundles[s].name for s in slugs]
        text = f"您是想办理“{names[0]}”吗?" if len(names) == 1 else "您想办的是下面哪一件事?"
        return {
            "type": "clarify",
            "question_id": BUNDLE_QUESTION,
            "text": text,
            "options": [{"id": s, "label": n} for s, n in zip(slugs, names, strict=True)],
        }

    def _pick_candidate(self, text: str, normal: str) -> str | None:
        """The clarify option the user picked by ordinal, name or a fresh match among the candidates."""
        candidates = self.state["candidates"]
        core = _FILLER.sub("", text).removesuffix("个")
        if core in _ORDINALS and _ORDINALS[core] < len(candidates):
            return candidates[_ORDINALS[core]]
        if len(candidates) == 1 and _polarity(normal) == "yes":
            return candidates[0]
        for slug in candidates:
            if self.knowledge.bundles[slug].name.split("(")[0] in text:
                return slug
        ranked = [c.slug for c in self.matcher.match(text).candidates if c.slug in candidates]
        return ranked[0] if ranked else None

    def _fallback(self, result: MatchResult | None) -> dict[str, Any]:
        """Nothing fits: say so, suggest the closest bundles, offer a human operator; keep the topic."""
        slugs = [c.slug for c in (result.candidates if result else ()) if c.slug in self.knowledge.bundles]
        out_of_scope = result.out_of_scope if result else None
        if out_of_scope:
            text = f"“{out_of_scope}”是单项事务,不在“一件事一次办”的套餐里,可以在政务服务平台直接搜索办理。"
        else:
            text = "抱歉,我没能听懂您想办什么事。可以换个说法,比如“孩子出生了要办什么”或“我要退休了”。"
        reply: dict[str, Any] = {
            "type": "fallback",
            "text": text,
            "out_of_scope": out_of_scope,
            "suggestions": [{"slug": s, "name": self.knowledge.bundles[s].name} for s in slugs],
            "operator": {"available": True, "text": "也可以转人工客服为您解答。"},
        }
        if self.state["pending"] not in (None, BUNDLE_QUESTION, ITEMS_PENDING):
            question = self._question(self.state["pending"])
            if question:
                reply["question"] = self._question_reply(question, [])
        return reply

    # --- questions and items ---------------------------------------------------------------------

    def _bundle(self) -> Bundle:
        return self.knowledge.bundles[self.state["bundle"]]

    def _question(self, question_id: str) -> Question | None:
        if self.state["bundle"] is None:
            return None
        return next((q for q in questions_in_force(self._bundle(), self.today) if q.id == question_id), None)

    def _remember(self, text: str) -> None:
        self.state["said"] = [*self.state["said"], text][-MAX_SAID:]

    def _infer(self) -> list[dict[str, str]]:
        """Answer the unanswered questions the user's own words settle; return what was understood."""
        understood = []
        for text in self.state["said"]:
            normal = self.matcher.normalize(text)
            for question in questions_in_force(self._bundle(), self.today):
                if question.id in self.state["answers"] or not applies(question, self.state["answers"]):
                    continue
                option = _by_terms(question, text, normal, self.today, specific_only=True)
                if option:
                    self.state["answers"][question.id] = option.id
                    understood.append(
                        {"question_id": question.id, "option_id": option.id, "label": option.label}
                    )
        return understood

    def _advance(self, understood: list[dict[str, str]]) -> dict[str, Any]:
        """Ask the next question that applies, then the optional items, then give the checklist."""
        answers = self.state["answers"]
        for question in questions_in_force(self._bundle(), self.today):
            if question.id not in answers and applies(question, answers):
                self.state["pending"] = question.id
                self.state["done"] = False
                return self._question_reply(question, understood)
        offered = self._offered_items()
        if offered and self.state["chosen_items"] is None:
            self.state["pending"] = ITEMS_PENDING
            return self._items_reply(offered, understood)
        self.state["pending"] = None
        self.state["done"] = True
        return {"type": "checklist", "understood": understood, "checklist": self._checklist()}

    def _question_reply(self, question: Question, understood: list[dict[str, str]]) -> dict[str, Any]:
        return {
            "type": "question",
            "question_id": question.id,
            "text": question.text,
            "help": question.help,
            "options": [{"id": o.id, "label": o.label} for o in in_force(question.options, self.today)],
            "understood": understood,
        }

    def _options(self) -> list[Option]:
        return chosen_options(self.knowledge, self.state["bundle"], self.state["answers"], self.today)

    def _preselected(self) -> list[str]:
        """Optional items selected by default and by the answers."""
        slug = self.state["bundle"]
        selected = set(select_items(self.knowledge, slug, self._options(), None, self.today))
        return [i.id for i in optional_items(self.knowledge, slug, self.today) if i.id in selected]

    def _offered_items(self) -> list[str]:
        """Optional items no answer has already decided: the ones worth asking about."""
        decided = {i for o in self._options() for i in (*o.add_items, *o.drop_items)}
        return [
            i.id
            for i in optional_items(self.knowledge, self.state["bundle"], self.today)
            if i.id not in decided
        ]

    def _items_reply(self, offered: list[str], understood: list[dict[str, str]]) -> dict[str, Any]:
        preselected = set(self._preselected())
        bundle = self._bundle()
        return {
            "type": "items",
            "text": "以下事项可以一并办理,请选择要办的(可多选;回复“都要”或“不用了”也行):",
            "items": [
                {"id": i, "name": self.knowledge.items[i].name, "selected": i in preselected} for i in offered
            ],
            "groups": [list(g) for g in bundle.required_together],
            "understood": understood,
        }

    def _pick_items(self, text: str, normal: str) -> list[str] | None:
        """Optional items chosen in words: all, none, the defaults, or the items named."""
        offered = self._offered_items()
        keep = [i for i in self._preselected() if i not in offered]
        named = [i for i in offered if _mentions(self.knowledge.items[i].name, text)]
        if any(w in normal for w in ("都要", "全部", "都办", "全都")):
            chosen = offered
        elif named:
            negated = _polarity(normal) == "no"
            base = [] if "只" in text or not negated else [i for i in self._preselected() if i in offered]
            chosen = [i for i in base if i not in named] if negated else base + named
        elif _polarity(normal) == "no":
            chosen = []
        elif _polarity(normal) == "yes":
            chosen = [i for i in self._preselected() if i in offered]
        else:
            return None
        return _with_groups(self._bundle(), keep + chosen)

    def _checklist(self) -> dict[str, Any]:
        chosen = self.state["chosen_items"]
        if chosen is not None:
            offered = self._offered_items()
            chosen = [i for i in self._preselected() if i not in offered] + [
                i for i in chosen if i in offered
            ]
        return build_checklist(
            self.knowledge, self.state["bundle"], self.state["answers"], chosen, self.today
        )

    # --- follow-ups ------------------------------------------------------------------------------

    def _faq_or_item(self, text: str) -> str | None:
        """'faq' or 'item' when a short question names a FAQ keyword or one of the bundle's items."""
        core = _FILLER.sub("", text)
        if len(core) < 2:
            return None
        if any(_faq_hits(entry.keywords, entry.question, text, core) for entry in self._faqs()):
            return "faq"
        if any(core in self.knowledge.items[e.item].name for e in self._bundle().items):
            return "item"
        return None

    def _faqs(self) -> list[Any]:
        return in_force(self._bundle().faq, self.today)

    def _follow_up(self, topic: str, text: str) -> dict[str, Any]:
        """Answer a follow-up from the current bundle's knowledge, reminding of a pending question."""
        checklist = self._checklist()
        core = _FILLER.sub("", text)
        faq = next((e for e in self._faqs() if _faq_hits(e.keywords, e.question, text, core)), None)
        if faq is not None:
            answer, topic = faq.answer, "faq"
        else:
            answer = _ANSWERS.get(topic, _item_answer)(checklist, core)
        reply: dict[str, Any] = {"type": "answer", "topic": topic, "text": answer}
        pending = self.state["pending"]
        if pending not in (None, ITEMS_PENDING, BUNDLE_QUESTION) and (question := self._question(pending)):
            reply["question"] = self._question_reply(question, [])
        return reply


# --- free-text helpers ---------------------------------------------------------------------------


def _polarity(normal: str) -> str | None:
    """'yes' / 'no' when the text starts with an affirmation or a negation."""
    core = _FILLER.sub("", normal).lower()
    if core.startswith(_NEGATE):
        return "no"
    if core.startswith(_AFFIRM):
        return "yes"
    return None


def _negated(text: str, start: int) -> bool:
    """True when the term found at `start` is preceded by a negation ('不是港澳台')."""
    before = text[max(0, start - 2) : start]
    return any(char in _NEGATORS for char in before)


def _mentions(term: str, text: str) -> bool:
    """The term (or its part before a parenthesis) appears in the text."""
    short = re.split(r"[((]", term)[0]
    return bool(short) and (short in text or term in text)


def _by_terms(
    question: Question, text: str, normal: str, day: dt.date, specific_only: bool = False
) -> Option | None:
    """The option whose label or synonym appears (not negated) in the text; longest term wins."""
    best: tuple[int, Option] | None = None
    for option in in_force(question.options, day):
        for term in (option.label, *option.synonyms):
            if specific_only and (len(term) < 2 or set(term) <= _GENERIC_CHARS):
                continue
            for haystack in (text, normal):
                position = haystack.find(term)
                if (
                    position >= 0
                    and not _negated(haystack, position)
                    and (best is None or len(term) > best[0])
                ):
                    best = (len(term), option)
    return best[1] if best else None


def _by_polarity(question: Question, normal: str) -> Option | None:
    """For a two-option yes/no question, the option a bare 对/不 picks: the negative one for 不.

    With no option worded negatively, a question ending in 吗 takes its first option as yes, its second as no.
    """
    options = list(question.options)
    polarity = _polarity(normal)
    if len(options) != 2 or polarity is None:
        return None
    negative = [o for o in options if o.label.startswith(_NEGATE) or o.label.startswith(("都没", "没有"))]
    if len(negative) == 1:
        positive = next(o for o in options if o is not negative[0])
        return negative[0] if polarity == "no" else positive
    if not negative and question.text.rstrip("?？").endswith("吗"):
        return options[0] if polarity == "yes" else options[1]
    return None


def _follow_up_topic(text: str) -> str | None:
    """Which follow-up ('time', 'fee' …) a text asks about, if any."""
    return next((topic for topic, words in FOLLOW_UPS if any(w in text for w in words)), None)


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


# --- answers to follow-ups -------------------------------------------------------------------------


def _days(limit: Mapping[str, Any]) -> str:
    if limit.get("on_the_spot"):
        return "当场办结"
    if limit.get("promised_days") is not None or limit.get("statutory_days") is not None:
        return f"{limit['working_days']}个工作日"
    return limit.get("note") or "以当地公布为准"


def _step_items(checklist: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [item for stage in checklist["steps"] for item in stage["items"]]


def _time_answer(checklist: Mapping[str, Any], core: str) -> str:
    lines = [f"{i['name']}:{_days(i['time_limit'])}" for i in _step_items(checklist)]
    total = checklist["time_limit"]["total_working_days"]
    summary = f"全部办完按最长的先后链条约需{total}个工作日" if total else "主要事项可当场或很快办结"
    caveat = "(部分时限各地不同)" if checklist["time_limit"]["varies_by_locality"] else ""
    return ";".join(lines) + f"。{summary}{caveat}。"


def _fee_answer(checklist: Mapping[str, Any], core: str) -> str:
    fees = checklist["fees"]
    if fees["all_free"]:
        return "都不收费。"
    parts = [
        f"{f['name']}:{f.get('rule') or ('免费' if f.get('free') else f.get('amount_yuan', '以当地为准'))}"
        for f in fees["items"]
    ]
    return ";".join(parts) + "。"


def _place_answer(checklist: Mapping[str, Any], core: str) -> str:
    where = [f"{d['name']}:{'、'.join(d['offline']) or '以当地为准'}" for d in checklist["departments"]]
    joint = checklist["channels"].get("offline")
    return (f"可到{joint}一并办理。" if joint else "") + "各事项办理地点:" + ";".join(where) + "。"


def _online_answer(checklist: Mapping[str, Any], core: str) -> str:
    entry = checklist["online_entry"]
    online = [
        f"{i['name']}:{i['channels']['online']}"
        for i in _step_items(checklist)
        if i["channels"].get("online")
    ]
    head = f"网上入口:{entry}。" if entry else "这件事暂无统一的网上入口。"
    return head + ("可网上办理或预约的事项:" + ";".join(online) + "。" if online else "")


def _in_person_answer(checklist: Mapping[str, Any], core: str) -> str:
    who = [
        f"{i['name']}:{i['channels']['in_person']}"
        for i in _step_items(checklist)
        if i["channels"].get("in_person")
    ]
    overall = checklist["channels"].get("in_person")
    if not who and not overall:
        return "资料未写明必须本人到场,一般可委托他人代办,请携带委托书和双方身份证件,以当地要求为准。"
    return (f"{overall}。" if overall else "") + ";".join(who) + ("。" if who else "")


def _materials_answer(checklist: Mapping[str, Any], core: str) -> str:
    names = [m["name"] + ("(可免交)" if m["can_skip"] else "") for m in checklist["materials"]]
    return "需要准备:" + "、".join(names) + "。完整清单见一次告知。"


def _item_answer(checklist: Mapping[str, Any], core: str) -> str:
    items = [i for i in _step_items(checklist) if core in i["name"]]
    if not items:
        return "这件事当前的办理清单里没有相关事项;如需办理,可以告诉我您的情况。"
    return (
        ";".join(
            f"{i['name']}由{i['department']}办理,{_days(i['time_limit'])},"
            + (f"需先办完{'、'.join(i['requires'])}" if i["requires"] else "可直接办理")
            for i in items
        )
        + "。"
    )


_ANSWERS = {
    "time": _time_answer,
    "fee": _fee_answer,
    "place": _place_answer,
    "online": _online_answer,
    "in_person": _in_person_answer,
    "materials": _materials_answer,
}
