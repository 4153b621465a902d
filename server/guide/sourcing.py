"""Source rules across the knowledge: which facts must cite a source, and a census of the sources cited.

Every fee, every time limit that states a figure, every applicant deadline and every note shown to citizens
must carry at least one source; a fact no one could verify carries a source marked `unverified` that says
so. The census counts sources by kind and confidence (`check`), and `sources` lists the unverified facts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from server.guide.schema import (
    Bundle,
    Confidence,
    Item,
    Material,
    Note,
    RetirementRules,
    Source,
    SourceKind,
)


@dataclass(frozen=True)
class Fact:
    """A fee, stated time limit, applicant deadline or note, at its field path, with what it cites."""

    field: str
    what: str
    sources: tuple[Source, ...]

    def message(self) -> str:
        return f"{self.what} has no source: cite one (kind, published or retrieved, confidence)"

    def unverified_only(self) -> bool:
        """Cited, but nothing cited could be verified."""
        return bool(self.sources) and all(s.confidence is Confidence.unverified for s in self.sources)


def _notes(where: str, notes: Iterable[Note]) -> Iterator[Fact]:
    for index, note in enumerate(notes):
        yield Fact(f"{where}[{index}]", "note", note.sources)


def facts_of_item(where: str, item: Item) -> Iterator[Fact]:
    """The item's fees, stated time limit, applicant deadline and notes."""
    for index, fee in enumerate(item.fees):
        yield Fact(f"{where}.fees[{index}]", f"fee {fee.name!r}", fee.sources)
    if item.time_limit.states_figure():
        yield Fact(f"{where}.time_limit", "time limit", item.time_limit.sources)
    if item.applicant_deadline is not None:
        yield Fact(f"{where}.applicant_deadline", "applicant deadline", item.applicant_deadline.sources)
    yield from _notes(f"{where}.notes", item.notes)


def facts_of_bundle(bundle: Bundle) -> Iterator[Fact]:
    """The bundle's notes and its options' notes."""
    yield from _notes("notes", bundle.notes)
    for q_index, question in enumerate(bundle.questions):
        for o_index, option in enumerate(question.options):
            yield from _notes(f"questions[{q_index}].options[{o_index}].notes", option.notes)


def unsourced(facts: Iterable[Fact]) -> Iterator[Fact]:
    """The facts that cite nothing: each is a problem of the knowledge check."""
    return (fact for fact in facts if not fact.sources)


def unverified_facts(items: Iterable[Item], bundles: Iterable[Bundle]) -> Iterator[str]:
    """`item <id> <field> (<what>)` for every fact that rests only on unverified sources."""
    for item in items:
        for fact in facts_of_item("", item):
            if fact.unverified_only():
                yield f"item {item.id}{fact.field}: {fact.what}"
    for bundle in bundles:
        for fact in facts_of_bundle(bundle):
            if fact.unverified_only():
                yield f"bundle {bundle.slug} {fact.field}: {fact.what}"


def _item_sources(item: Item) -> Iterator[Source]:
    yield from item.legal_basis
    yield from item.sources
    yield from item.time_limit.sources
    if item.applicant_deadline is not None:
        yield from item.applicant_deadline.sources
    for fee in item.fees:
        yield from fee.sources
    for note in item.notes:
        yield from note.sources


def _bundle_sources(bundle: Bundle) -> Iterator[Source]:
    yield from bundle.sources
    for note in bundle.notes:
        yield from note.sources
    for question in bundle.questions:
        for option in question.options:
            for note in option.notes:
                yield from note.sources


def all_sources(
    items: Iterable[Item],
    bundles: Iterable[Bundle],
    materials: Iterable[Material],
    retirement: RetirementRules | None,
) -> Iterator[Source]:
    """Every source cited anywhere in the knowledge."""
    for item in items:
        yield from _item_sources(item)
    for bundle in bundles:
        yield from _bundle_sources(bundle)
    for material in materials:
        yield from material.sources
    if retirement is not None:
        yield from retirement.sources
        for note in retirement.notes:
            yield from note.sources


@dataclass(frozen=True)
class Census:
    """How many sources of each kind and confidence the knowledge cites."""

    by_kind: Counter[SourceKind]
    by_confidence: Counter[Confidence]

    @classmethod
    def of(cls, sources: Iterable[Source]) -> Census:
        listed = list(sources)
        return cls(Counter(s.kind for s in listed), Counter(s.confidence for s in listed))

    def line(self) -> str:
        """`612 sources: 250 statute, … ; 300 high, … unverified`."""
        total = sum(self.by_kind.values())
        kinds = ", ".join(f"{self.by_kind[kind]} {kind.value}" for kind in SourceKind)
        levels = ", ".join(f"{self.by_confidence[level]} {level.value}" for level in Confidence)
        return f"{total} sources ({kinds}; {levels})"
