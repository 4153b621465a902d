"""Read one free-text message for every question and optional item of a bundle.

Pure and data-driven: the words come from the bundle's questions, options and items and from
`knowledge/dialogue.yaml` (`DialogueWords`). A message is cut into clauses; in each clause the options'
synonyms, option groups, question topics and stated numbers become `Evidence` (which options a question
is narrowed to, or which are ruled out by a negation); item phrases become `Wish`es; and the message as a
whole may be a bare yes/no, an "I don't know", a closing phrase ("其他都不需要"), a correction or a new
errand. The dialogue applies the evidence; nothing here knows the conversation's state.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from server.guide.automaton import Automaton
from server.guide.schema import Bundle, DialogueWords, Polarity, Quantity, Question, Range

_PUNCTUATION = re.compile(r"[,，。.!！?？;；:：\n\r\t ~～…]+")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
DECLINE_TAIL = 1  # "暂时不办了": one character (a particle) may follow a declining phrase


@dataclass(frozen=True)
class Evidence:
    """A clause narrows `question` to `options` (or, `negated`, rules them out), from `words`."""

    question: str
    options: frozenset[str]
    negated: bool
    words: str
    topic: bool = False  # from a question's topic ("执照"), weaker than an option's own words


@dataclass(frozen=True)
class Wish:
    """An optional item named in a clause: wanted, or not (`"生育登记暂时不办"`)."""

    item: str
    wanted: bool
    words: str


@dataclass(frozen=True)
class Reading:
    """Everything one message says, before it is applied to a conversation."""

    text: str = ""  # the message as read (canonical form)
    evidence: tuple[Evidence, ...] = ()
    wishes: tuple[Wish, ...] = ()
    yes: str | None = None  # the yes/no word a message starts with, if it is a bare yes/no
    no: str | None = None
    unsure: str | None = None
    closing: str | None = None
    everything: str | None = None
    only: str | None = None
    correction: str | None = None
    new_errand: str | None = None
    follow_up: str | None = None

    def about(self, question_id: str) -> list[Evidence]:
        return [e for e in self.evidence if e.question == question_id]


@dataclass(frozen=True)
class _Cue:
    """A phrase (or a number range) that narrows one question to some options."""

    question: str
    options: frozenset[str]
    phrase: str | None = None
    range: Range | None = None
    both_parties: bool = False
    topic: bool = False  # a question topic: picks the yes option, negated the no option


@dataclass
class _Clause:
    text: str
    taken: list[tuple[int, int]] = field(default_factory=list)  # spans of matched phrases
    # where the negation words and the unsure words occur, found once per clause (see `_negated`)
    negations: list[tuple[int, int]] | None = None
    unsure: list[tuple[int, int]] | None = None
    saying_no: list[tuple[int, int]] = field(default_factory=list)  # … of them, those of a no option


def clause_breaks(words: DialogueWords) -> re.Pattern[str]:
    """The clause breaks besides punctuation, each but where it begins an `unbroken` word ("不过户" is no
    "不过", "还有贷款" no "还有")."""
    alternatives = []
    for word in sorted((canonical(b) for b in words.clause_breaks), key=len, reverse=True):
        kept = sorted({canonical(u)[len(word) :] for u in words.unbroken if canonical(u).startswith(word)})
        guard = f"(?!{'|'.join(re.escape(k) for k in kept)})" if kept else ""
        alternatives.append(re.escape(word) + guard)
    return re.compile("|".join(alternatives) or r"(?!)")


def split_clauses(text: str, breaks: re.Pattern[str]) -> list[str]:
    """A canonical text cut at punctuation and clause breaks, empty parts left out."""
    return [c for part in _PUNCTUATION.split(text) for c in breaks.split(part) if c]


_LONE_DIGIT = re.compile(r"(?<![\d.])\d(?![\d.])")


def spell_lone_digits(text: str, spelled: Mapping[str, str]) -> str:
    """A digit standing alone is written as a word ("第1套" → "第一套", "0套" → "零套"), so phrases written
    in characters match it; numbers of two digits and more (128平, 2019年) are left as they are."""
    if not spelled:
        return text
    return _LONE_DIGIT.sub(lambda m: spelled.get(m.group(), m.group()), text)


def canonical(text: str) -> str:
    """Full-width to half-width and lower case, so data and messages compare alike."""
    return unicodedata.normalize("NFKC", text).lower()


def _find_all(text: str, term: str) -> Iterable[int]:
    start = text.find(term)
    while start >= 0:
        yield start
        start = text.find(term, start + 1)


def _first(text: str, words: Iterable[str]) -> str | None:
    return next((w for w in sorted(words, key=len, reverse=True) if w and w in text), None)


def _longest_first(words: Iterable[str]) -> tuple[str, ...]:
    """`words` as `_first` tries them (longest first, the file's order among equals), empty ones left out."""
    return tuple(w for w in sorted(words, key=len, reverse=True) if w)


def _first_of(text: str, longest_first: tuple[str, ...]) -> str | None:
    """`_first` on words already put in its order by `_longest_first`."""
    return next((w for w in longest_first if w in text), None)


class _Prefixes:
    """Words as `_first_prefix` tries them (longest first, canonical), grouped by the first character of
    their canonical form, so a text is compared only with the words it could start with."""

    def __init__(self, words: Iterable[str]) -> None:
        ordered = [(w, canonical(w)) for w in sorted(words, key=len, reverse=True) if w]
        self._empty = tuple(entry for entry in ordered if not entry[1])  # would start any text
        self._by_first = {
            char: tuple(entry for entry in ordered if not entry[1] or entry[1][0] == char)
            for char in {form[0] for _, form in ordered if form}
        }

    def first(self, text: str) -> str | None:
        """`_first_prefix(text, words)`."""
        for word, form in self._by_first.get(text[:1], self._empty):
            if text.startswith(form):
                return word
        return None


class WordsIndex:
    """The dialogue words sorted, canonicalised and compiled once per knowledge release (`words_index`):
    what `BundleReader.read` and the number readers otherwise redid on every message."""

    def __init__(self, words: DialogueWords) -> None:
        self.words = words
        self.unsure = _longest_first(words.unsure)
        self.closing = _longest_first(words.closing)
        self.everything = _longest_first(words.everything)
        self.only = _longest_first(words.only)
        self.only_starts = tuple(words.only)
        self.new_errand = _longest_first(words.new_errand)
        self.yes_no = _Prefixes((*words.yes, *words.no))
        self.no = _Prefixes(words.no)
        self.yes_no_leads = _Prefixes(words.yes_no_leads)
        self.corrections = _Prefixes(words.corrections)
        self.declines = _Prefixes(words.declines)
        self.follow_ups = tuple((f.topic, tuple(canonical(w) for w in f.words)) for f in words.follow_ups)
        self.negative_forms = tuple(canonical(word) for word in words.negations)
        self.negation_words = Automaton({w: len(w) for w in words.negations})
        self.unsure_words = Automaton({w: len(w) for w in words.unsure})
        self.unsure_forms = tuple((canonical(w), len(w)) for w in words.unsure)
        numerals = "".join(re.escape(k) for k in words.numerals) + re.escape(words.approximately)
        self.number = re.compile(rf"\d+(?:\.\d+)?|[{numerals}]+")
        self.relative_years = tuple(
            (word, canonical(word), years) for word, years in words.relative_years.items()
        )
        self.planned = tuple((canonical(word), when) for when in words.planned for word in when.words)
        self.month = re.compile(
            rf"(\d{{1,2}}|[{''.join(words.numerals)}]{{1,2}}){re.escape(words.month_marker)}"
        )
        self.quantities = tuple(_QuantityIndex(q) for q in words.quantities)


class _QuantityIndex:
    """One quantity's words in the order `_first` tries them, or canonical for `startswith`."""

    def __init__(self, quantity: Quantity) -> None:
        self.id = quantity.id
        self.cues = _longest_first(quantity.cues)
        self.after_cues = _longest_first(quantity.after_cues)
        self.uncued = not quantity.cues and not quantity.after_cues
        self.units = tuple(canonical(u) for u in quantity.units)
        self.since_cues = tuple(canonical(c) for c in quantity.since_cues)


_INDEXES: dict[int, WordsIndex] = {}


def words_index(words: DialogueWords) -> WordsIndex:
    """The index of `words`, built on first use and kept while `words` is one of the last few releases'."""
    index = _INDEXES.get(id(words))
    if index is None or index.words is not words:
        if len(_INDEXES) > 8:
            _INDEXES.clear()
        index = _INDEXES[id(words)] = WordsIndex(words)
    return index


class BundleReader:
    """Reads messages for one bundle; built once per knowledge release and bundle."""

    def __init__(self, bundle: Bundle, words: DialogueWords) -> None:
        self.bundle = bundle
        self.words = words
        self.index = words_index(words)
        self.cues = [cue for question in bundle.questions for cue in _cues(question)]
        self.item_phrases = [
            (entry.item, canonical(phrase))
            for entry in bundle.items
            if entry.optional
            for phrase in entry.phrases
        ]
        self._breaks = clause_breaks(words)
        # Every cue phrase found in one pass: phrase -> its cues in cue order (an empty phrase, which the
        # knowledge check refuses, would be at every position: kept apart so it is read as before).
        by_phrase: dict[str, list[_Cue]] = {}
        for cue in self.cues:
            if cue.phrase is not None:
                by_phrase.setdefault(cue.phrase, []).append(cue)
        self._phrases = Automaton({phrase: tuple(cues) for phrase, cues in by_phrase.items()})
        self._empty_cues = tuple(by_phrase.get("", ()))
        self._items_longest_first = sorted(self.item_phrases, key=lambda p: -len(p[1]))
        self._ranges = [cue for cue in self.cues if cue.range is not None]

    def read(self, text: str, today: dt.date, pending: str | None = None) -> Reading:
        """What `text` says about this bundle's questions and items, as of `today`. A number answering the
        `pending` question needs no cue ("三年多" to 持有多久): the question asked is the cue."""
        text = spell_lone_digits(canonical(text), self.words.lone_digits)
        clauses = [_Clause(c) for c in split_clauses(text, self._breaks)]
        evidence: list[Evidence] = []
        wishes: list[Wish] = []
        forms = self.words.question_forms
        stated = [not any(form in c.text for form in forms) for c in clauses]
        for index, clause in enumerate(clauses):
            if not stated[index]:
                continue
            # "生育登记先问问,暂时不办": a clause that is only a negation says no to the clause before it.
            follower = clauses[index + 1] if index + 1 < len(clauses) else None
            negated = follower is not None and self._bare_negation(follower)
            evidence += self._phrase_evidence(clause, negated)
            wishes += self._wishes(clause, negated)
        evidence += self._range_evidence(text, today, pending)
        # "没有执照，顺便把执照也办了": an option's own words outweigh the topic named again.
        direct = {e.question for e in evidence if not e.topic}
        if pending and len(clauses) > 1 and self._bare_no(clauses[0]):
            direct.add(pending)  # "不办，打算两年后再要孩子": the opening no answers what was asked
        evidence = [e for e in evidence if not (e.topic and e.question in direct)]
        words, prepared = self.words, self.index
        lead = clauses[0].text if clauses else ""
        yes_no = prepared.yes_no.first(lead)
        opener = prepared.yes_no_leads.first(lead)
        if yes_no is None and opener is not None:  # "暂时唔使", "那就不用了"
            yes_no = prepared.yes_no.first(lead[len(canonical(opener)) :])
        return Reading(
            text=text,
            evidence=tuple(evidence),
            wishes=tuple(wishes),
            yes=yes_no if yes_no in words.yes and yes_no not in words.no else None,
            no=yes_no if yes_no in words.no else None,
            unsure=_first_of(text, prepared.unsure),
            closing=_first_of(text, prepared.closing),
            everything=_first_of(text, prepared.everything),
            only=_first_of(lead, prepared.only) if lead.startswith(prepared.only_starts) else None,
            correction=prepared.corrections.first(text),
            new_errand=_first_of(text, prepared.new_errand),
            follow_up=next(
                (topic for topic, forms in prepared.follow_ups if any(form in text for form in forms)), None
            ),
        )

    # --- clauses --------------------------------------------------------------------------------

    def _bare_no(self, clause: _Clause) -> bool:
        """A clause that is only a no ("不办", "没有了") or a decline."""
        word = self.index.no.first(clause.text)
        bare = word is not None and len(clause.text) - len(canonical(word)) <= DECLINE_TAIL
        return bare or self._bare_negation(clause)

    def _bare_negation(self, clause: _Clause) -> bool:
        """A clause that only declines ("暂时不办", "不需要了"): it says no to the clause before it."""
        word = self.index.declines.first(clause.text)
        return word is not None and len(clause.text) - len(canonical(word)) <= DECLINE_TAIL

    def _phrase_evidence(self, clause: _Clause, negated_after: bool = False) -> list[Evidence]:
        found = [
            (start, end, cue) for start, end, cues in self._phrases.occurrences(clause.text) for cue in cues
        ]
        found += [(start, start, cue) for cue in self._empty_cues for start in range(len(clause.text) + 1)]
        # Within one question the longest phrase wins where phrases overlap ("没有公积金" over "公积金").
        # Equal keys are one phrase at one place: its cues stay in cue order (the sort is stable).
        found.sort(key=lambda f: (-(f[1] - f[0]), f[0]))
        kept: list[tuple[int, int, _Cue]] = []
        for start, end, cue in found:
            if any(k[2].question == cue.question and start < k[1] and k[0] < end for k in kept):
                continue
            if self._asked(clause.text, end):
                continue
            if cue.both_parties and not any(w in clause.text for w in self.words.both):
                continue
            kept.append((start, end, cue))
        # "不清楚是不是视同缴费": in a clause that says it does not know, only phrases saying so themselves
        # ("死因还不清楚") are stated.
        unsure = [(s, s + n) for form, n in self.index.unsure_forms for s in _find_all(clause.text, form)]
        if unsure:
            kept = [k for k in kept if any(k[0] < e and s < k[1] for s, e in unsure)]
        clause.taken = [(s, e) for s, e, _ in kept]
        clause.saying_no = [
            (s, e) for s, e, c in kept if c.options and c.options <= self._polar(c.question, Polarity.no)
        ]
        last_end = max((e for _, e, _ in kept), default=-1)
        evidence = []
        for start, end, cue in sorted(kept, key=lambda k: k[0]):
            # "单位刚体检过，不用了": declining after a no option's own words confirms it.
            declined = (
                negated_after
                and end == last_end
                and not self._negative(cue.phrase or "")
                and not (cue.options and cue.options <= self._polar(cue.question, Polarity.no))
            )
            negated = self._negated(clause, start, end) or declined
            options = cue.options
            topic = cue.topic
            if cue.topic:
                options = cue.options if not negated else self._polar(cue.question, Polarity.no)
                negated = False
                if not options:
                    continue
            evidence.append(Evidence(cue.question, options, negated, clause.text[start:end], topic))
        return evidence

    def _polar(self, question_id: str, polarity: Polarity) -> frozenset[str]:
        question = next(q for q in self.bundle.questions if q.id == question_id)
        return frozenset(o.id for o in question.options if o.polarity == polarity)

    def _wishes(self, clause: _Clause, negated_after: bool = False) -> list[Wish]:
        wishes: list[Wish] = []
        for item, phrase in self._items_longest_first:
            start = clause.text.find(phrase)
            if start < 0 or any(w.item == item for w in wishes):
                continue
            end = start + len(phrase)
            if self._asked(clause.text, end) or any(w in clause.text for w in self.words.unsure):
                continue  # "公积金不清楚" wishes nothing
            wanted = not (negated_after or self._negated(clause, start, end, extra=[(start, end)]))
            wishes.append(Wish(item, wanted, phrase))
        return wishes

    def _negative(self, phrase: str) -> bool:
        """The phrase says no itself ("户口先不动"): declining it again does not turn it into a yes."""
        return any(form in phrase for form in self.index.negative_forms)

    def _asked(self, text: str, end: int) -> bool:
        """A term followed closely by 吗 is asked about, not stated."""
        tail = text[end : end + self.words.question_end_reach + 1]
        return any(q in tail for q in self.words.question_ends)

    def _negated(self, clause: _Clause, start: int, end: int, extra: Sequence[tuple[int, int]] = ()) -> bool:
        """A negation word ends within reach before the span, or starts right after it, outside phrases."""
        if clause.negations is None:
            clause.negations = [
                (at, stop) for at, stop, _ in self.index.negation_words.occurrences(clause.text)
            ]
            clause.unsure = [(at, stop) for at, stop, _ in self.index.unsure_words.occurrences(clause.text)]
        if not clause.negations:
            return False
        text = clause.text
        spans = [*clause.taken, *extra, *(clause.unsure or ())]
        reach, after_reach = self.words.negation_reach, self.words.negation_after_reach
        for at, stop in clause.negations:
            # A negation inside another phrase is that phrase's own, unless it opens a no option's phrase
            # ("没交过啥养老保险": 没 of 没交过 still reaches 养老保险; 未 of 未婚夫 reaches nothing).
            inside = any(
                s <= at and stop <= e and not (at == s and (s, e) in clause.saying_no and stop <= start)
                for s, e in spans
                if (s, e) != (start, end)
            )
            if inside or (start <= at < end):
                continue
            if at < start < stop and not self._negative(text[start:end]):
                return True  # "木有贷款", "没有房子": the negation ends inside the phrase
            if stop <= start and start - stop <= reach:
                if not any(w in text[stop:start] for w in self.words.negation_stops):
                    return True
            if at >= end and at - end <= after_reach:
                return True
        return False

    # --- numbers --------------------------------------------------------------------------------

    def _range_evidence(self, text: str, today: dt.date, pending: str | None) -> list[Evidence]:
        asked = frozenset(c.range.quantity for c in self._ranges if c.question == pending and c.range)
        values = stated_quantities(text, self.words, today, asked)
        if not values:
            return []
        evidence = []
        for cue in self._ranges:
            assert cue.range is not None
            for quantity, value, words in values:
                if quantity == cue.range.quantity and cue.range.holds(value):
                    evidence.append(Evidence(cue.question, cue.options, False, words))
        return evidence


def _first_prefix(text: str, words: Iterable[str]) -> str | None:
    return next(
        (w for w in sorted(words, key=len, reverse=True) if w and text.startswith(canonical(w))), None
    )


def _cues(question: Question) -> list[_Cue]:
    cues = []
    for option in question.options:
        mine = frozenset({option.id})
        for phrase in option.synonyms:
            cues.append(_Cue(question.id, mine, canonical(phrase), both_parties=option.both_parties))
        if option.range is not None:
            cues.append(_Cue(question.id, mine, range=option.range))
    for group in question.groups:
        options = frozenset(group.options)
        cues += [_Cue(question.id, options, canonical(p)) for p in group.synonyms]
        if group.range is not None:
            cues.append(_Cue(question.id, options, range=group.range))
    yes = frozenset(o.id for o in question.options if o.polarity == Polarity.yes)
    if yes:
        cues += [_Cue(question.id, yes, canonical(t), topic=True) for t in question.topics]
    return cues


# --- numbers -------------------------------------------------------------------------------------


def chinese_number(text: str, numerals: Mapping[str, float], approximately: str = "") -> float | None:
    """三十多 → 33.3, 十八 → 18, 两 → 2, 1.5 → 1.5; None when `text` is no number.

    An `approximately` character after a unit adds a third of it (十多 ≈ 13, 三十几 ≈ 33): a citizen's
    "about" is closer to the low end. Right after a digit ("八几年") it is a decade, no number: None.
    """
    if _NUMBER.fullmatch(text):
        return float(text)
    total = section = current = 0.0
    unit = 1.0
    for char in text:
        if char in approximately:
            if current:  # "八几年", "九几年": a decade of the calendar, no count of years
                return None
            section += unit / 3
            continue
        value = numerals.get(char)
        if value is None:
            return None
        if value >= 10000:
            total += (section + current) * value
            section = current = 0.0
            unit = value / 10
        elif value >= 10:
            section += (current or 1) * value
            current, unit = 0.0, value
        else:
            current = value
    value = total + section + current
    return value if text.strip(approximately) else None


def stated_quantities(
    text: str, words: DialogueWords, today: dt.date, asked: frozenset[str] = frozenset()
) -> list[tuple[str, float, str]]:
    """(quantity, value, words) for every number stated with a quantity's unit and cue; the `asked`
    quantities need no cue."""
    index = words_index(words)
    found = []
    for match in index.number.finditer(text):
        raw = match.group()
        if not raw.strip(words.approximately):
            continue
        value = chinese_number(raw, words.numerals, words.approximately)
        if value is None:
            continue
        after = text[match.end() : match.end() + 6]
        before = text[max(0, match.start() - 10) : match.start()]
        close = before[-3:]
        if raw.isdigit() and after[:1] and after[0] in words.approximately:
            # "140多平", "20多年": a third of the written number's last unit more, as in 一百四十多
            value += 10 ** (len(raw) - len(raw.rstrip("0"))) / 3
        if any(w in close for w in words.less_than) or _under_after(after, words):
            value -= 0.01  # 不满两年, 两年不到: just under two
        elif any(w in close for w in words.more_than):
            value += 0.01
        for quantity in index.quantities:
            since = _since_year(raw, text[match.end() : match.end() + 10], index, quantity, today)
            if since is not None:
                found.append((quantity.id, since, text[match.start() : match.end() + 4]))
            elif _unit_after(after, quantity, words.approximately) and (
                quantity.id in asked or _cued(before, after, quantity)
            ):
                found.append((quantity.id, value, text[max(0, match.start() - 4) : match.end() + 2]))
    for word, form, years in index.relative_years:
        for at in _find_all(text, form):
            rest = text[at + len(word) : at + len(word) + 4]
            for quantity in index.quantities:
                if _since_cue(rest, quantity):
                    found.append((quantity.id, float(years), text[at : at + len(word) + 3]))
    return found


def planned_date(text: str, words: DialogueWords, today: dt.date) -> tuple[dt.date, str] | None:
    """ "下个月领证" → (a month from today, "下个月"); "明年三月" → 1 March next year; None when not said."""
    index = words_index(words)
    found = [(at, form, when) for form, when in index.planned for at in _find_all(text, form)]
    if not found:
        return None
    at, word, when = max(found, key=lambda f: len(f[1]))  # 下下个月 over 下个月
    day = _add_months(today, when.years * 12 + when.months)
    month = index.month.match(text[at + len(word) :])
    if when.years and month:
        value = chinese_number(month.group(1), words.numerals)
        if value is not None and 1 <= value <= 12 and value == int(value):
            return dt.date(day.year, int(value), 1), word + month.group()
    return day, word


def _add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or that month's last day when it is shorter."""
    years, index = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, index + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _under_after(after: str, words: DialogueWords) -> bool:
    """ "两年不到", "九十平米没到": a less-than word right after the number's unit (up to three characters,
    none an "about": "两年多不到三年" is over two)."""
    return any(
        after[k:].startswith(canonical(w)) and not any(c in words.approximately for c in after[:k])
        for k in (1, 2, 3)
        for w in words.less_than
    )


def _cued(before: str, after: str, quantity: _QuantityIndex) -> bool:
    """The number is this quantity: a cue shortly before it, an after-cue shortly after, or no cues at all."""
    if quantity.uncued:
        return True
    return bool(_first_of(before, quantity.cues) or _first_of(after, quantity.after_cues))


def _unit_after(after: str, quantity: _QuantityIndex, approximately: str) -> bool:
    after = after.lstrip(approximately)
    return any(after.startswith(u) for u in quantity.units)


def _since_cue(rest: str, quantity: _QuantityIndex) -> bool:
    """A since-cue right after a year ("买的"), allowing one character between ("就买的")."""
    return any(rest.startswith(c) or rest[1:].startswith(c) for c in quantity.since_cues)


def _since_year(
    raw: str, after: str, index: WordsIndex, quantity: _QuantityIndex, today: dt.date
) -> float | None:
    """ "2015年买的", "2022年10月拿的证" → years since then; None when the number is not a year followed
    (after its month, if said) by a since-cue."""
    marker = index.words.year_marker
    if not (raw.isdigit() and len(raw) == 4 and after.startswith(marker)):
        return None
    rest = after[len(marker) :]
    month = index.month.match(rest)
    months = 0.0
    if month is not None:
        value = chinese_number(month.group(1), index.words.numerals)
        if value is not None and 1 <= value <= 12:
            months = (today.month - value) / 12
            rest = rest[month.end() :]
    if not _since_cue(rest, quantity):
        return None
    year = int(raw)
    return float(today.year - year + months) if 1900 < year <= today.year else None
