"""The guide's answer to "when can I retire?": gather sex, birth month and track, asking only what is missing.

Pure and self-contained so the dialogue can call it in one place: `respond` takes the facts gathered so
far (kept by the dialogue under `STATE_KEY`), the user's text or button press, and returns the new facts
and a reply — a `question` for the first missing fact, or an `answer` with the calculation — or None when
the turn is not about the retirement date. Phrasings come from `knowledge/retirement_age.yaml`.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from typing import Any

import cn2an

from server.guide.retirement_age import (
    RetirementAgeError,
    YearMonth,
    describe,
    find_track,
    retirement_date,
    tracks_for,
)
from server.guide.schema import RetirementRules, RetirementWording

STATE_KEY = "retirement_date"
QUESTION_PREFIX = "retirement_date."
BUNDLE = "retirement"
SEXES = ("male", "female")
_YEAR = r"(\d{4}|\d{2})"
_DIGITS = re.compile(r"\d+")


def owns(question_id: str) -> bool:
    """True for the question ids this module asks (`retirement_date.sex` …)."""
    return question_id.startswith(QUESTION_PREFIX)


def respond(
    facts: dict[str, Any] | None,
    text: str | None,
    answer: tuple[str, str] | None,
    rules: RetirementRules | None,
    today: dt.date,
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(new facts, reply) when this turn is about the user's retirement date; None otherwise.

    Raises RetirementAgeError for a button press that does not fit what was asked.
    """
    if rules is None or not rules.in_force(today):
        return None
    known = dict(facts or {})
    if answer is not None:
        found = _from_answer(known, *answer, rules)
    else:
        said = text or ""
        asks = any(phrase in said for phrase in rules.wording.ask)
        topical = any(word in said for word in rules.wording.topic)
        if not (asks or topical or facts):
            return None  # not about the date, whatever facts it gives: not read for them (cn2an is slow)
        found = _from_text(said, known, rules, today)
        # A birth month with the sex is what the calculation needs: answer it even when not asked for.
        gives_all = "birth" in found and "sex" in found and topical
        if not (asks or gives_all) and not (
            facts and found and (known.get("asking") or _is_follow_up(said, rules))
        ):
            return None
    known.update(found)
    return _next(known, found, rules, today)


def _is_follow_up(text: str, rules: RetirementRules) -> bool:
    """A short 'what if' after an answer: '女工人呢', '那1976年的呢'."""
    return text.rstrip("?？。 ").endswith(rules.wording.follow_up_ends)


def _from_answer(known: dict[str, Any], question_id: str, option_id: str, rules: RetirementRules) -> dict:
    """A button press (or typed option id) for the fact being asked."""
    fact = question_id.removeprefix(QUESTION_PREFIX)
    if fact != known.get("asking"):
        raise RetirementAgeError("question_not_asked", f"Question '{question_id}' is not pending.")
    if fact == "sex" and option_id in SEXES:
        return {"sex": option_id}
    if fact == "track" and option_id in {t.id for t in tracks_for(rules, known.get("sex", ""))}:
        return {"track": option_id}
    if fact == "birth":
        try:
            return {"birth": str(YearMonth.parse(option_id))}
        except RetirementAgeError:
            pass
    raise RetirementAgeError("unknown_option", f"Question '{question_id}' has no option '{option_id}'.")


def _from_text(text: str, known: dict[str, Any], rules: RetirementRules, today: dt.date) -> dict[str, Any]:
    """The facts a text gives: sex, birth month (or year), track."""
    found: dict[str, Any] = {}
    wording = rules.wording
    male = any(term in text for term in wording.male_terms)
    female = any(term in text for term in wording.female_terms)
    asking = known.get("asking")
    if asking == "sex" and not (male or female):
        marks = wording.sex_marks
        male = marks.male in text and marks.female not in text
        female = marks.female in text and marks.male not in text
    if male != female:
        found["sex"] = "male" if male else "female"
    digits = _with_digits(text)
    birth = _birth(digits, known.get("birth_year"), wording, today)
    if isinstance(birth, YearMonth):
        found["birth"] = str(birth)
    elif isinstance(birth, int):
        found["birth_year"] = birth
    track = _track(text, digits, rules, known.get("sex") if asking == "track" else None)
    if track:
        found["track"] = track
        found.setdefault("sex", next(t.sex for t in rules.tracks if t.id == track))
    return found


def _with_digits(text: str) -> str:
    """The text with its Chinese numerals as digits (一九七五年六月 -> 1975年6月, 五十五 -> 55), by cn2an."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cn2an warns on a numeral it leaves as it is (万一)
        try:
            return str(cn2an.transform(text, "cn2an"))
        except (ValueError, KeyError):
            return text


def _year(digits: str, today: dt.date) -> int | None:
    """A plausible birth year of someone asking about retirement: 1930 up to 14 years ago."""
    year = int(digits)
    if len(digits) == 2:
        year += 1900 if year > today.year % 100 else 2000
    return year if 1930 <= year <= today.year - 14 else None


def _alternatives(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def _birth(
    text: str, known_year: int | None, wording: RetirementWording, today: dt.date
) -> YearMonth | int | None:
    """Birth as a month, or a bare year (the month still to ask), from '1975年6月', '75年的' (digits)."""
    full = rf"(?<!\d){_YEAR}\s*(?:{_alternatives(wording.birth_separators)})\s*(\d{{1,2}})(?!\d)"
    for match in re.finditer(full, text):
        year, month = _year(match.group(1), today), int(match.group(2))
        if year and 1 <= month <= 12:
            return YearMonth(year, month)
    for template in wording.born_in_year:
        before, _, after = template.partition("{year}")
        pattern = rf"{re.escape(before)}(?<!\d){_YEAR}\s*{re.escape(after)}"
        if (only := re.search(pattern, text)) and (year := _year(only.group(1), today)):
            return year
    month_only = rf"^\D*?(\d{{1,2}})\s*(?:{_alternatives(wording.month_marks)})\D*$"
    if known_year and (month_said := re.match(month_only, text.strip())):
        month = int(month_said.group(1))
        if 1 <= month <= 12:
            return YearMonth(known_year, month)
    return None


def _track(text: str, digits: str, rules: RetirementRules, asked_of: str | None) -> str | None:
    """A track named by its terms, or, when just asked (`asked_of` the sex), by the original age alone
    ('50', '五十五')."""
    for track in rules.tracks:
        if any(term in text for term in track.terms):
            return track.id
    if asked_of is None:
        return None
    ages = {int(n) for n in _DIGITS.findall(digits)}
    own = tracks_for(rules, asked_of)
    return next(
        (t.id for t in own if t.original_age_months % 12 == 0 and t.original_age_months // 12 in ages), None
    )


def _understood(found: dict[str, Any], rules: RetirementRules) -> list[dict[str, str]]:
    """What this turn's words settled, in the dialogue's `understood` shape."""
    understood = []
    if "sex" in found:
        understood.append(
            {
                "question_id": QUESTION_PREFIX + "sex",
                "option_id": found["sex"],
                "label": getattr(rules.wording.sex_labels, found["sex"]),
            }
        )
    if "birth" in found:
        label = YearMonth.parse(found["birth"]).chinese()
        understood.append(
            {"question_id": QUESTION_PREFIX + "birth", "option_id": found["birth"], "label": label}
        )
    if "track" in found:
        label = next(t.label for t in rules.tracks if t.id == found["track"])
        understood.append(
            {"question_id": QUESTION_PREFIX + "track", "option_id": found["track"], "label": label}
        )
    return understood


def _question(
    fact: str, text: str, options: list[dict[str, str]], understood: list, help: str | None = None
) -> dict:
    return {
        "type": "question",
        "question_id": QUESTION_PREFIX + fact,
        "text": text,
        "help": help,
        "options": options,
        "understood": understood,
    }


def _next(
    known: dict[str, Any], found: dict[str, Any], rules: RetirementRules, today: dt.date
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Ask the first missing fact, or answer."""
    wording = rules.wording
    understood = _understood(found, rules)
    if (
        known.get("track")
        and known.get("sex")
        and not any(t.id == known["track"] for t in tracks_for(rules, known["sex"]))
    ):
        known.pop("track")  # a track of the other sex, from before the sex was corrected
    if "sex" not in known:
        known["asking"] = "sex"
        options = [{"id": sex, "label": getattr(wording.sex_labels, sex)} for sex in SEXES]
        return known, _question("sex", wording.ask_sex, options, understood)
    if "birth" not in known:
        known["asking"] = "birth"
        text = wording.ask_birth
        if known.get("birth_year"):
            text = wording.ask_birth_month.format(year=known["birth_year"])
        return known, _question("birth", text, [], understood)
    own = tracks_for(rules, known["sex"])
    if "track" not in known and len(own) > 1:
        known["asking"] = "track"
        options = [{"id": t.id, "label": t.label} for t in own]
        return known, _question("track", wording.ask_track, options, understood, wording.track_help)
    known["asking"] = None
    track = find_track(rules, known["sex"], known.get("track"))
    result = retirement_date(rules, track, YearMonth.parse(known["birth"]))
    reply = {
        "type": "answer",
        "topic": "retirement_date",
        "text": describe(result, today),
        "retirement_date": result.as_dict(),
        "notes": [note.text for note in rules.notes if note.in_force(today)],
        "understood": understood,
    }
    return known, reply
