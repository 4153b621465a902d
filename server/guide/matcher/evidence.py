"""What every layer yields and what the matcher answers: evidence, candidates, the result and its trace."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

Decision = Literal["commit", "clarify", "none"]
STRONG_LAYERS = frozenset({"literal", "compound", "sound", "spelled"})  # one of these is a keyword's worth


@dataclass(frozen=True)
class Evidence:
    """One layer's reason to think the text is about `bundle` (or names a single item: OUT_OF_SCOPE)."""

    layer: str  # literal, compound, sound, spelled, phrase, knowledge, fuzzy
    bundle: str
    weight: float
    term: str
    start: int = -1  # span in the normalised text, when the layer knows it
    end: int = -1


@dataclass(frozen=True)
class Candidate:
    """A bundle the text may be about, with a confidence in 0..1."""

    slug: str
    score: float


@dataclass(frozen=True)
class MatchResult:
    """What the guide understood: commit to a bundle, ask between candidates, or none."""

    decision: Decision
    candidates: tuple[Candidate, ...]  # best first, at most 3
    out_of_scope: str | None  # the single item recognised (e.g. "护照"), if any
    two_errands: bool = False  # the text asks for two bundles at once: the candidates are both

    @property
    def slug(self) -> str | None:
        """The committed bundle, else None."""
        return self.candidates[0].slug if self.decision == "commit" else None


@dataclass
class Trace:
    """Everything one match saw, in pipeline order: what `explain` prints and the eval shows per miss."""

    text: str
    tokens: tuple[str, ...] = ()  # normalised tokens (separators included)
    normal: str = ""  # the tokens joined
    focused: str = ""  # `normal` with negated and set-aside stretches muted
    masked: str = ""  # `focused` with single items muted too: what the bundle layers read
    evidence: list[Evidence] = field(default_factory=list)
    vetoes: list[str] = field(default_factory=list)
    bundle_evidence: dict[str, float] = field(default_factory=dict)  # per bundle, after the vetoes
    out_of_scope: str | None = None
    small_talk: bool = False
    talk_word: bool = False  # a small-talk word is there (with or without an errand word)
    errand_word: bool = False  # an errand word (办, 手续, 申请 …) is there
    errands: tuple[str, ...] = ()  # bundles a strong layer found, when the text joins two requests
    linked: bool = False  # … and a joiner or coordinator ("另外", "和") links them, not only a comma
    rule: MatchResult | None = None  # the rule layers' own decision
    probabilities: dict[str, float] = field(default_factory=dict)  # the ranker's, when there is one
    result: MatchResult | None = None

    def totals(self, exclude: Iterable[str] = ()) -> dict[str, float]:
        """Summed evidence per bundle (before vetoes), single items left out."""
        skip = set(exclude)
        sums: dict[str, float] = defaultdict(float)
        for item in self.evidence:
            if item.bundle not in skip:
                sums[item.bundle] += item.weight
        return dict(sums)
