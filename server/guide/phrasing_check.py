"""Validation of the dialogue's phrasings: `knowledge/dialogue.yaml` and the questions' words in bundles.

Each problem is reported with its file and field, like every other knowledge check. The main rule: a phrase
that picks some options must not also match a phrase picking other options of the same question (one
containing the other), unless one set of options contains the other (a narrower phrase inside a wider one).
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable

from server.guide.followups import ANSWERS
from server.guide.reading import canonical, clause_breaks, split_clauses
from server.guide.schema import (
    FOLLOW_UP_PLACEHOLDERS,
    Bundle,
    DialogueWords,
    FollowUpTexts,
    MaterialForm,
    Polarity,
    Question,
    Range,
)

Report = Callable[[str, str, str], None]


def check_dialogue_words(report: Report, file: str, words: DialogueWords) -> None:
    """No word is both a yes and a no; quantities and follow-up topics are unique and known; replies given."""
    if words.replies is None:
        report(file, "replies", "the guide's replies are missing")
    if words.follow_up_texts is None:
        report(file, "follow_up_texts", "the follow-up answers' wording is missing")
    else:
        _check_follow_up_texts(report, file, words.follow_up_texts)
    if words.checklist_texts is None:
        report(file, "checklist_texts", "the checklist's wording is missing")
    else:
        used = placeholders(words.checklist_texts.approximate_total)
        if used is None or used - {"calendar", "working"}:
            report(
                file, "checklist_texts.approximate_total", "placeholders are only {calendar} and {working}"
            )
    breaks = [canonical(b) for b in words.clause_breaks]
    for index, word in enumerate(words.unbroken):
        if not any(canonical(word).startswith(b) and canonical(word) != b for b in breaks):
            report(
                file,
                f"unbroken[{index}]",
                f"{word!r} does not begin with a clause break, so it keeps nothing",
            )
    for index, word in enumerate(words.yes):
        if word in words.no:
            report(file, f"yes[{index}]", f"{word!r} is also a no word")
    for field in (
        "negations",
        "yes",
        "no",
        "unsure",
        "closing",
        "everything",
        "corrections",
        "reset",
        "declines",
    ):
        for index, word in enumerate(getattr(words, field)):
            if not canonical(word).strip():
                report(file, f"{field}[{index}]", "empty word")
    seen: set[str] = set()
    for index, quantity in enumerate(words.quantities):
        if quantity.id in seen:
            report(file, f"quantities[{index}].id", f"duplicate quantity {quantity.id!r}")
        seen.add(quantity.id)
    topics: set[str] = set()
    for index, follow_up in enumerate(words.follow_ups):
        if follow_up.topic in topics:
            report(file, f"follow_ups[{index}].topic", f"duplicate topic {follow_up.topic!r}")
        if follow_up.topic not in ANSWERS:
            report(file, f"follow_ups[{index}].topic", f"no answer for topic {follow_up.topic!r}")
        topics.add(follow_up.topic)
    for key, value in words.numerals.items():
        if len(key) != 1 or value < 0:
            report(file, f"numerals.{key}", "a numeral is one character with a value >= 0")


def placeholders(template: str) -> set[str] | None:
    """The `{names}` a template fills in; None when it is no template (unbalanced braces)."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError:
        return None


def _check_follow_up_texts(report: Report, file: str, texts: FollowUpTexts) -> None:
    """Every template names only its own placeholders; every material form has a name."""
    for field in FollowUpTexts.model_fields:
        value = getattr(texts, field)
        if not isinstance(value, str):
            continue
        used = placeholders(value)
        if used is None:
            report(file, f"follow_up_texts.{field}", "not a template: unbalanced braces")
            continue
        unknown = used - FOLLOW_UP_PLACEHOLDERS.get(field, frozenset())
        if unknown:
            report(file, f"follow_up_texts.{field}", f"unknown placeholders {sorted(unknown)}")
    for form in [*(f.value for f in MaterialForm), "mixed"]:
        if form not in texts.forms:
            report(file, f"follow_up_texts.forms.{form}", "the material form has no name")


def check_bundle_phrasings(report: Report, file: str, bundle: Bundle, words: DialogueWords) -> None:
    """The questions' synonyms, groups, topics, polarities, assumptions and the items' phrases."""
    quantities = {q.id for q in words.quantities}
    for q_index, question in enumerate(bundle.questions):
        _check_question(report, file, f"questions[{q_index}]", question, quantities, words)
    _check_item_phrases(report, file, bundle)


def _check_question(
    report: Report, file: str, where: str, question: Question, quantities: set[str], words: DialogueWords
) -> None:
    ids = [o.id for o in question.options]
    for field in ("assume", "unsure"):
        value = getattr(question, field)
        if value is not None and value not in ids:
            report(file, f"{where}.{field}", f"question {question.id!r} has no option {value!r}")
    for polarity in Polarity:
        marked = [o.id for o in question.options if o.polarity == polarity]
        if len(marked) > 1:
            report(file, f"{where}.options", f"several options are polarity {polarity.value}: {marked}")
    if question.topics and not all(any(o.polarity == p for o in question.options) for p in Polarity):
        report(file, f"{where}.topics", "topics need one option of polarity yes and one of polarity no")
    cues: list[tuple[str, frozenset[str], str]] = []  # (phrase, options, field)
    for o_index, option in enumerate(question.options):
        for s_index, phrase in enumerate(option.synonyms):
            cues.append(
                (canonical(phrase), frozenset({option.id}), f"{where}.options[{o_index}].synonyms[{s_index}]")
            )
        _check_range(report, file, f"{where}.options[{o_index}].range", option.range, quantities)
    for g_index, group in enumerate(question.groups):
        g_where = f"{where}.groups[{g_index}]"
        for index, option_id in enumerate(group.options):
            if option_id not in ids:
                report(
                    file,
                    f"{g_where}.options[{index}]",
                    f"question {question.id!r} has no option {option_id!r}",
                )
        if group.assume is not None and group.assume not in group.options:
            report(file, f"{g_where}.assume", f"option {group.assume!r} is not one of the group's options")
        for s_index, phrase in enumerate(group.synonyms):
            cues.append((canonical(phrase), frozenset(group.options), f"{g_where}.synonyms[{s_index}]"))
        _check_range(report, file, f"{g_where}.range", group.range, quantities)
    for o_index, option in enumerate(question.options):
        for a_index, part in enumerate(option.all_of):
            alone = part == option.id and len(option.all_of) < 2  # itself only with another option
            if part not in ids or alone:
                report(file, f"{where}.options[{o_index}].all_of[{a_index}]", f"no other option {part!r}")
    _check_overlaps(report, file, cues, {canonical(w) for w in words.negations})
    _check_breaks(report, file, cues, clause_breaks(words))


def _check_breaks(
    report: Report, file: str, cues: Iterable[tuple[str, frozenset[str], str]], breaks: re.Pattern[str]
) -> None:
    """A message is cut into clauses at punctuation and clause breaks: a phrase that is cut never matches."""
    for phrase, _, field in cues:
        if phrase and split_clauses(phrase, breaks) != [phrase]:
            report(
                file, field, f"phrase {phrase!r} is cut at a clause break or punctuation: it can never match"
            )


def _check_range(report: Report, file: str, where: str, value: Range | None, quantities: set[str]) -> None:
    if value is None:
        return
    if value.quantity not in quantities:
        report(file, f"{where}.quantity", f"unknown quantity {value.quantity!r} (see dialogue.yaml)")
    if value.min is None and value.below is None:
        report(file, where, "a range needs min or below")
    if value.min is not None and value.below is not None and value.below <= value.min:
        report(file, where, "below must be greater than min")


def _check_overlaps(
    report: Report, file: str, cues: Iterable[tuple[str, frozenset[str], str]], negations: set[str]
) -> None:
    """A phrase inside another of the same question must pick a subset or superset of its options, unless
    the longer one is the shorter one negated ("没找到工作" / "找到工作"): that is how negation reads it."""
    listed = list(cues)
    for index, (phrase, options, field) in enumerate(listed):
        if not phrase:
            report(file, field, "empty phrase")
            continue
        for other, other_options, other_field in listed[:index]:
            if not other or (phrase not in other and other not in phrase):
                continue
            if options <= other_options or other_options <= options:
                continue
            longer, shorter = (phrase, other) if len(phrase) > len(other) else (other, phrase)
            if longer.replace(shorter, "", 1) in negations:
                continue
            report(
                file,
                field,
                f"phrase {phrase!r} also matches {other!r} ({other_field}), which picks other options "
                f"({', '.join(sorted(other_options))})",
            )


def _check_item_phrases(report: Report, file: str, bundle: Bundle) -> None:
    owners: list[tuple[str, str]] = []
    for index, entry in enumerate(bundle.items):
        if entry.phrases and not entry.optional:
            report(file, f"items[{index}].phrases", "only optional items are chosen in words")
        for p_index, phrase in enumerate(entry.phrases):
            text = canonical(phrase)
            for other, owner in owners:
                if owner != entry.item and (text in other or other in text):
                    report(
                        file,
                        f"items[{index}].phrases[{p_index}]",
                        f"phrase {phrase!r} also matches {other!r} of item {owner!r}",
                    )
            owners.append((text, entry.item))
