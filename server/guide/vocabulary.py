"""The matcher's vocabulary as data: the schema of `knowledge/matcher.yaml` and the syntax of lexicon terms.

A lexicon term is `A`, or a compound `A|B+C` (one alternative of every `+` part, anywhere in the text).
`term_problems` and `lexicon_problems` report what the loader used to accept silently: an empty part
("A||B", "A+"), a stray separator or mask character, a synonym mapped two ways, a reserved id.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pydantic import Field

from server.guide.schema import Frozen, GlobalLexicon, Lexicon, Text

COMPOUND = "+"
ALTERNATIVE = "|"
MASK = "□"  # marks characters the matcher has muted (negated, set aside, a single item)
OUT_OF_SCOPE = "_out_of_scope"  # owner of single items among the matcher's terms
RESERVED_IDS = frozenset({"null", "none", "bundle", "two_errands", OUT_OF_SCOPE})  # labels with a meaning
_STRAY = re.compile(r"[,，、;；/\\]|^\s|\s$")  # list separators inside one term: a split that went wrong


class Weights(Frozen):
    """Evidence each rule layer adds (a literal keyword is 1) and how weak evidence is capped."""

    sound: float = Field(gt=0, le=1)
    spelled: float = Field(gt=0, le=1)
    fuzzy: float = Field(gt=0, le=1)
    fuzzy_min_length: int = Field(ge=3)  # one wrong character in a shorter term is as often another word
    phrase_word: float = Field(gt=0, le=1)
    phrase_word_cap: float = Field(gt=0, le=1)  # phrase words alone never outweigh one keyword
    phrase_word_max_bundles: int = Field(ge=1)
    knowledge_word: float = Field(gt=0, le=1)
    knowledge_word_cap: float = Field(gt=0, le=1)  # knowledge words alone stay below a clarify
    knowledge_word_max_bundles: int = Field(ge=1)
    knowledge_word_max_freq: int = Field(ge=0)  # everyday words (学生, 公司) are no bundle's knowledge
    exclude_penalty: float = Field(ge=0)  # each term pointing away removes this much evidence …
    exclude_keep: float = Field(ge=0, le=1)  # … or keeps this share of it, whichever removes more


class Thresholds(Frozen):
    """The rule decision on confidences (evidence e -> e / (e + half_confidence))."""

    half_confidence: float = Field(gt=0)
    commit_at: float = Field(gt=0, lt=1)
    commit_beside_out_of_scope_at: float = Field(gt=0, lt=1)
    ambiguous_at: float = Field(gt=0, le=1)  # a runner-up with this share of the leader's evidence: ask
    suggest_at: float = Field(gt=0, lt=1)  # below this a bundle is not worth a clarifying question


class Negation(Frozen):
    """A negation mutes what follows it up to the end of its clause or a scope-ending character."""

    markers: tuple[Text, ...] = Field(min_length=1)  # 不是, 并非, 不想办 …
    questions: tuple[Text, ...] = ()  # forms that ask and negate nothing ("是不是")
    scope_ends_at: tuple[Text, ...] = ()  # single characters closing the scope ("是" of 不是A是B)


class Discourse(Frozen):
    """Contrastive and corrective markers: they shift the weight to the clause that carries the need."""

    set_aside: tuple[Text, ...] = ()  # the clause carrying one is muted ("A先不问", "个人的不用说了")
    focus: tuple[Text, ...] = ()  # everything before one is muted ("我问的是B", "…而是B")
    joiners: tuple[Text, ...] = ()  # words that join two requests in one message ("另外", "还有")
    done: tuple[Text, ...] = ()  # a stretch saying one is done or in hand ("执照拿到了") is no second errand
    # a longer message (normalised characters) is a story about one errand that names others in passing
    two_errands_max_length: int = Field(default=1000, gt=0)
    # words that join two things ("和", "跟", "、"): bundles named on either side are two errands
    coordinators: tuple[Text, ...] = ()


class Talk(Frozen):
    """Talk around a bundle's topic (profit, prices, feelings) commits to nothing without an errand word."""

    small_talk: tuple[Text, ...] = Field(min_length=1)
    errand: tuple[Text, ...] = Field(min_length=1)


class Ranker(Frozen):
    """The learned ranker's decision on its calibrated probabilities."""

    commit_at: float = Field(gt=0, lt=1)
    commit_beside_out_of_scope_at: float = Field(gt=0, lt=1)
    second_errand_at: float = Field(gt=0, lt=1)  # a second bundle this likely too: offer both
    two_errands_at: float = Field(default=0.5, gt=0, lt=1)  # "two errands" this likely, both found: both
    two_errands_share: float = Field(default=1.0, gt=0, le=1)  # … or at this share of the best single reading
    suggest_at: float = Field(gt=0, lt=1)


class MatcherRules(Frozen):
    """`knowledge/matcher.yaml`: every word list and number the matcher's rule layers use."""

    weights: Weights
    thresholds: Thresholds
    negation: Negation
    discourse: Discourse = Discourse()
    talk: Talk
    ranker: Ranker | None = None


@dataclass(frozen=True)
class SyntaxProblem:
    """A problem with one term: the field it sits in and what is wrong."""

    field: str
    message: str


def parts(term: str) -> tuple[tuple[str, ...], ...]:
    """ "A|B+C" -> (("A", "B"), ("C",)): every part must be present, by any of its alternatives."""
    return tuple(tuple(part.split(ALTERNATIVE)) for part in term.split(COMPOUND))


def is_compound(term: str) -> bool:
    """True for "A+B" and "A|B" terms, which are matched part by part."""
    return COMPOUND in term or ALTERNATIVE in term


def term_problems(term: str, field: str, compound_allowed: bool = True) -> list[SyntaxProblem]:
    """What is wrong with one term's syntax (empty parts, stray separators, the mask character)."""
    problems: list[SyntaxProblem] = []
    if is_compound(term) and not compound_allowed:
        problems.append(SyntaxProblem(field, f"{term!r}: '+' and '|' are only allowed in keywords"))
    for alternatives in parts(term):
        for alternative in alternatives:
            if not alternative.strip():
                problems.append(SyntaxProblem(field, f"{term!r}: empty part (it would match every text)"))
            elif _STRAY.search(alternative):
                problems.append(SyntaxProblem(field, f"{term!r}: stray separator in {alternative!r}"))
    if MASK in term:
        problems.append(SyntaxProblem(field, f"{term!r}: {MASK!r} is reserved for muted text"))
    return problems


def _key(term: str) -> str:
    """Compare terms width-, case- and space-insensitively, as the matcher will."""
    return "".join(unicodedata.normalize("NFKC", term).casefold().split())


def synonym_problems(tables: Iterable[tuple[str, Mapping[str, str]]]) -> list[tuple[str, SyntaxProblem]]:
    """Synonyms across files: one source rewritten to two targets, or a rewrite that loops back."""
    problems: list[tuple[str, SyntaxProblem]] = []
    seen: dict[str, tuple[str, str]] = {}  # source -> (target, file)
    for file, synonyms in tables:
        for source, target in synonyms.items():
            field = f"synonyms.{source}"
            problems += [(file, p) for p in term_problems(source, field, False)]
            problems += [(file, p) for p in term_problems(target, field, False)]
            if _key(source) == _key(target):
                problems.append((file, SyntaxProblem(field, f"{source!r} is rewritten to itself")))
            first = seen.get(_key(source))
            if first and _key(first[0]) != _key(target):
                message = f"{source!r} -> {target!r} conflicts with -> {first[0]!r} in {first[1]}"
                problems.append((file, SyntaxProblem(field, message)))
            seen.setdefault(_key(source), (target, file))
    for file, synonyms in tables:
        for source, target in synonyms.items():
            back = seen.get(_key(target))
            if back and _key(back[0]) == _key(source):
                message = f"{source!r} -> {target!r} and back again ({back[1]}): a loop"
                problems.append((file, SyntaxProblem(f"synonyms.{source}", message)))
    return problems


def lexicon_problems(
    lexicons: Mapping[str, tuple[str, Lexicon]], global_lexicon: tuple[str, GlobalLexicon] | None
) -> list[tuple[str, SyntaxProblem]]:
    """Every syntax problem of the lexicons, with its file; reserved ids are no bundle's slug."""
    problems: list[tuple[str, SyntaxProblem]] = []
    for slug, (file, lexicon) in lexicons.items():
        if slug in RESERVED_IDS:
            problems.append((file, SyntaxProblem("slug", f"{slug!r} is reserved and cannot name a bundle")))
        for index, keyword in enumerate(lexicon.keywords):
            problems += [(file, p) for p in term_problems(keyword, f"keywords[{index}]")]
        for index, term in enumerate(lexicon.exclude):
            problems += [(file, p) for p in term_problems(term, f"exclude[{index}]")]
    tables = [(file, lexicon.synonyms) for file, lexicon in lexicons.values()]
    if global_lexicon:
        file, shared = global_lexicon
        for field, terms in (("out_of_scope", shared.out_of_scope), ("fillers", shared.fillers)):
            for index, term in enumerate(terms):
                problems += [(file, p) for p in term_problems(term, f"{field}[{index}]", False)]
        tables.insert(0, (file, shared.synonyms))
    return problems + synonym_problems(tables)


def rules_problems(rules: MatcherRules) -> list[SyntaxProblem]:
    """Word lists of `matcher.yaml`: plain terms, and single characters where a scope must end."""
    problems: list[SyntaxProblem] = []
    lists = {
        "negation.markers": rules.negation.markers,
        "negation.questions": rules.negation.questions,
        "discourse.set_aside": rules.discourse.set_aside,
        "discourse.focus": rules.discourse.focus,
        "discourse.joiners": rules.discourse.joiners,
        "discourse.coordinators": rules.discourse.coordinators,
        "discourse.done": rules.discourse.done,
        "talk.small_talk": rules.talk.small_talk,
        "talk.errand": rules.talk.errand,
    }
    for name, terms in lists.items():
        for index, term in enumerate(terms):
            problems += term_problems(term, f"{name}[{index}]", False)
    for index, char in enumerate(rules.negation.scope_ends_at):
        if len(char) != 1:
            problems.append(
                SyntaxProblem(f"negation.scope_ends_at[{index}]", f"{char!r} is not one character")
            )
    return problems
