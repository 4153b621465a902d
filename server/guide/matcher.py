"""Recognise which bundle (一件事) one line of everyday Chinese is about, with a calibrated confidence.

Evidence per bundle, from strongest to weakest:
- keywords found literally in the normalised text (a keyword "A+B" needs every part, in any order),
  longest first, so a term inside a longer one ("过户" in "汽车过户") counts once, for the longer;
- compound keywords "A|B+C": one alternative of every part, anywhere in the text;
- keywords found by sound or pinyin (homophone typos, "tuixiu", initials, "zc公司");
- words of the bundle's example phrases, weighted by how few bundles share them;
- words of the bundle's own knowledge (item and material names, departments, question options), used by
  one or two bundles only: enough to tip a text that names an item towards its bundle, never to commit alone;
- as a last resort, a fuzzy (rapidfuzz) match of a long keyword with one wrong character.
Negated clauses ("不是新房") are masked first; out-of-scope single items (护照, 离婚) mask their span and
are reported. Scores become confidences in 0..1; commit, clarify or none follows from two thresholds.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from rapidfuzz.distance import Levenshtein

from server.guide.knowledge import Knowledge
from server.guide.normalize import SEPARATOR, Normalizer, canonical_chars
from server.guide.pinyin import PinyinIndex
from server.guide.schema import GlobalLexicon, Lexicon

OUT_OF_SCOPE = "_out_of_scope"  # owner of out-of-scope terms among the keywords
MASK = "□"
COMPOUND = "+"
ALTERNATIVE = "|"

# Evidence weights (a literal keyword is 1) and the decision rule on confidences.
SOUND_WEIGHT = 0.8
SPELLED_WEIGHT = 0.9
FUZZY_WEIGHT = 0.8
FUZZY_MIN_LENGTH = 5  # one wrong character in a shorter term is as often another word (出租登记 vs 出生登记)
PHRASE_WORD_WEIGHT = 0.25
PHRASE_WORD_CAP = 0.5  # phrase words alone never outweigh one keyword
PHRASE_WORD_MAX_BUNDLES = 3
KNOWLEDGE_WORD_WEIGHT = 0.25
KNOWLEDGE_WORD_CAP = 0.45  # knowledge words alone stay below even a clarifying question's confidence
KNOWLEDGE_WORD_MAX_BUNDLES = 2
KNOWLEDGE_WORD_MAX_FREQ = 3000  # everyday words (学生, 公司, 一直) are no knowledge of one bundle
EXCLUDE_PENALTY = 0.8  # each term pointing away removes this much evidence …
EXCLUDE_KEEP = 0.5  # … or half of it, whichever removes more
HALF_CONFIDENCE = 0.5  # evidence at which confidence is 0.5
COMMIT_AT = 0.55  # confidence to commit: mid-gap between the tuned sets' nulls (<0.47) and requests (>=0.6)
COMMIT_BESIDE_OUT_OF_SCOPE_AT = 0.75  # … or this, when the text also names an out-of-scope item
AMBIGUOUS_AT = 0.6  # … unless the runner-up has this share of the leader's evidence: then ask
SUGGEST_AT = 0.4  # below this a bundle is not worth a clarifying question

# A negation masks what follows it up to the end of the clause or the contrast ("不是A,是B" / "不是A而是B");
# "是不是" asks a yes/no question and negates nothing ("是不是要执照下来才能办").
_NEGATION = re.compile(
    r"(?:(?<!是)不是|并不是|并非|而非|而不是|不办|不想办|不用办|除了|还没到|还没轮到|暂不)([^,是还外]*)"
)
# Talk around a bundle's topic rather than an errand (profit, prices, advice, feelings): no commitment
# unless an errand word is there too ("开餐馆赚钱吗" is not a licence request; "开餐馆赚钱吗,要办什么证" is).
_SMALL_TALK = re.compile(
    r"赚钱|挣钱|赚不赚|挣不挣|赔钱|亏钱|利润|回本|生意好|好做吗|前景|便宜|贵不贵|哪家好|哪个牌子|好吃|好玩"
    r"|烦死|烦人|无聊|郁闷|心烦|闹心|开心|高兴|羡慕|天天在家|感慨|聊聊"
    r"|装修|学费|房租|房价|彩礼|婚纱|婚礼|酒席|摆酒|礼金|份子钱|用品|礼物|送什么|奶粉|玩具|旅游"
    r"|值不值|值得|划算|好还是|好贵|太贵|好累|太累|哪里招|去哪招"
    r"|想念|难过|伤心|老哭|不想上班"
)
_ERRAND = re.compile(
    r"办|弄|搞|咋|跑|手续|材料|流程|申请|登记|证|报名|备案|审批|许可|需要|要求|怎么|去哪|多久|补贴|报销|领|过户|注销|迁|落户"
    r"|第一步|步骤|申报|处理"
)
_LATIN_RUN = re.compile(r"[a-z]+(?:[ ,][a-z]+)*")


@dataclass(frozen=True)
class Candidate:
    """A bundle the text may be about, with a confidence in 0..1."""

    slug: str
    score: float


@dataclass(frozen=True)
class MatchResult:
    """What the guide understood: commit to a bundle, ask between candidates, or none."""

    decision: Literal["commit", "clarify", "none"]
    candidates: tuple[Candidate, ...]  # best first, at most 3
    out_of_scope: str | None  # the single item recognised (e.g. "护照"), if any

    @property
    def slug(self) -> str | None:
        """The committed bundle, else None."""
        return self.candidates[0].slug if self.decision == "commit" else None


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    owner: str
    weight: float
    term: str


def confidence(evidence: float) -> float:
    """Map summed evidence (0..∞) onto 0..1; one literal keyword gives 2/3."""
    return evidence / (evidence + HALF_CONFIDENCE)


class Matcher:
    """Text -> ranked bundles; built once per worker process, immutable afterwards, safe to share."""

    def __init__(
        self,
        lexicons: Mapping[str, Lexicon],
        global_lexicon: GlobalLexicon,
        names: Mapping[str, str],
        materials: Mapping[str, Iterable[str]] | None = None,
        vocabulary: Mapping[str, Iterable[str]] | None = None,
    ):
        synonyms: dict[str, str] = dict(global_lexicon.synonyms)
        for lexicon in lexicons.values():
            synonyms.update(lexicon.synonyms)
        raw_terms: dict[str, str] = {}  # term -> owner
        compounds: list[tuple[tuple[tuple[str, ...], ...], str]] = []
        for slug, lexicon in lexicons.items():
            name = names.get(slug, "")
            official = [name, re.split(r"[((]", name)[0]] if name else []
            for keyword in (*official, *lexicon.keywords):
                if COMPOUND in keyword or ALTERNATIVE in keyword:
                    compounds.append((_parts(keyword), slug))
                else:
                    raw_terms.setdefault(keyword, slug)
        for term in global_lexicon.out_of_scope:
            raw_terms.setdefault(term, OUT_OF_SCOPE)
        parts = {a for ps, _ in compounds for alts in ps for a in alts}
        self._normalizer = Normalizer([*raw_terms, *parts], synonyms, global_lexicon.fillers)
        norm = self._normalizer.normalize
        self._terms: dict[str, str] = {}
        for term, owner in raw_terms.items():
            for form in _forms(term, norm):
                self._terms.setdefault(form, owner)
        self._by_first: dict[str, list[str]] = defaultdict(list)
        for term in sorted(self._terms, key=len, reverse=True):
            self._by_first[term[0]].append(term)
        self._compounds = _CompoundIndex(
            (tuple(tuple(f for a in alts for f in _forms(a, norm)) for alts in ps), slug)
            for ps, slug in compounds
        )
        self._excludes = _CompoundIndex(
            (tuple(tuple(f for a in alts for f in _forms(a, norm)) for alts in _parts(term)), slug)
            for slug, lex in lexicons.items()
            for term in lex.exclude
        )
        self._materials = {slug: tuple(map(norm, ms)) for slug, ms in (materials or {}).items()}
        self._phrase_words = self._weigh_words(
            {slug: lex.phrases for slug, lex in lexicons.items()}, PHRASE_WORD_WEIGHT, PHRASE_WORD_MAX_BUNDLES
        )
        self._knowledge_words = {
            word: weights
            for word, weights in self._weigh_words(
                vocabulary or {}, KNOWLEDGE_WORD_WEIGHT, KNOWLEDGE_WORD_MAX_BUNDLES
            ).items()
            if not self._normalizer.is_common_word(word, KNOWLEDGE_WORD_MAX_FREQ)
        }
        self._parts = {f for alts in parts for f in _forms(alts, norm)}  # compound parts, for pinyin
        self._pinyin = PinyinIndex([*self._terms, *self._parts])
        self._fuzzy_by_char: dict[str, list[str]] = defaultdict(list)  # char -> long keywords using it
        for term, owner in self._terms.items():
            if len(term) >= FUZZY_MIN_LENGTH and owner != OUT_OF_SCOPE:
                for char in set(term):
                    self._fuzzy_by_char[char].append(term)
        self.match("施工许司证 zhuce 不是护照")  # warm every layer now, not on a citizen's first request

    @classmethod
    def from_knowledge(cls, knowledge: Knowledge) -> Matcher:
        """Build from the loaded knowledge: lexicons, global lexicon, bundles' names, materials and words."""
        names = {slug: bundle.name for slug, bundle in knowledge.bundles.items()}
        materials = {
            slug: {
                knowledge.materials[use.material].name
                for entry in bundle.items
                for use in knowledge.items[entry.item].materials
            }
            for slug, bundle in knowledge.bundles.items()
        }
        vocabulary = {
            slug: [
                *materials[slug],
                *(knowledge.items[entry.item].name for entry in bundle.items),
                *(knowledge.items[entry.item].department for entry in bundle.items),
                *(option.label for question in bundle.questions for option in question.options),
            ]
            for slug, bundle in knowledge.bundles.items()
        }
        return cls(knowledge.lexicons, knowledge.global_lexicon, names, materials, vocabulary)

    def normalize(self, text: str) -> str:
        """Full/half width, fillers, synonyms and typos resolved: reused by the dialogue for free text."""
        return self._normalizer.normalize(text)

    # --- building -----------------------------------------------------------------------------

    def _weigh_words(
        self, texts: Mapping[str, Iterable[str]], weight: float, max_bundles: int
    ) -> dict[str, dict[str, float]]:
        """Words (2+ chars) of each bundle's texts, weighted down by the number of bundles using them."""
        users: dict[str, set[str]] = defaultdict(set)
        for slug, bundle_texts in texts.items():
            for text in bundle_texts:
                for token in self._normalizer.tokens(text):
                    if len(token) >= 2 and token != SEPARATOR:
                        users[token].add(slug)
        return {
            token: {slug: weight / len(slugs) for slug in slugs}
            for token, slugs in users.items()
            if len(slugs) <= max_bundles
        }

    # --- matching -----------------------------------------------------------------------------

    def match(self, text: str) -> MatchResult:
        """Rank the bundles `text` may be about and decide whether to commit, clarify or say none."""
        tokens = self._normalizer.tokens(text)
        normal = "".join(tokens)
        masked = _NEGATION.sub(
            lambda m: m.group(0)[: m.start(1) - m.start(0)] + MASK * len(m.group(1)), normal
        )
        boundaries = _boundaries(tokens)
        spans = [  # a single item starts a word: no 房贷 inside 厂房贷款
            s for s in self._literal_spans(masked) if s.owner != OUT_OF_SCOPE or s.start in boundaries
        ]
        sounded, heard_parts = self._sound_spans(masked, spans, boundaries)
        spans += sounded
        out_of_scope = next((s.term for s in spans if s.owner == OUT_OF_SCOPE), None)
        excluded = self._excludes.found(masked)  # before masking single items: "地址变更" still points away
        masked = _masked(masked, [s for s in spans if s.owner == OUT_OF_SCOPE])
        evidence: dict[str, float] = defaultdict(float)
        for span in spans:
            if span.owner != OUT_OF_SCOPE:
                evidence[span.owner] += span.weight
        spelled_parts = heard_parts  # compound parts misheard ("档按") or written in pinyin ("biye dangan")
        for run in _LATIN_RUN.finditer(masked):
            head = self._pinyin.head_initials(run.group(0), masked[run.end() :])
            for term in [head] if head else self._pinyin.spelled(re.sub("[ ,]", "", run.group(0))):
                if self._terms.get(term, OUT_OF_SCOPE) != OUT_OF_SCOPE:
                    evidence[self._terms[term]] += SPELLED_WEIGHT
                elif term in self._terms:
                    out_of_scope = out_of_scope or term
                else:
                    spelled_parts.append(term)
        for slug in self._compounds.found(SEPARATOR.join([masked, *spelled_parts])):
            evidence[slug] += 1.0
        _add_words(evidence, self._phrase_words, PHRASE_WORD_CAP, tokens, masked)
        if max(evidence.values(), default=0.0) < HALF_CONFIDENCE and out_of_scope is None:
            self._add_fuzzy(evidence, masked)
        if out_of_scope is None:  # a named single item is not tipped into a bundle by its vocabulary
            unexplained = _masked(masked, spans)  # words inside a keyword are that keyword's evidence
            _add_words(evidence, self._knowledge_words, KNOWLEDGE_WORD_CAP, tokens, unexplained)
        for slug in excluded:
            if (e := evidence.get(slug)) is not None:
                evidence[slug] = max(0.0, min(e - EXCLUDE_PENALTY, e * EXCLUDE_KEEP))
        if out_of_scope and evidence:
            leader = max(evidence, key=evidence.__getitem__)
            if any(out_of_scope in name for name in self._materials.get(leader, ())):
                out_of_scope = None  # a material of the leading bundle ("入学要居住证吗"), not a single item
        small_talk = _SMALL_TALK.search(masked) is not None and _ERRAND.search(masked) is None
        return _decide(evidence, out_of_scope, small_talk)

    def _literal_spans(self, text: str) -> list[_Span]:
        """Keywords and out-of-scope terms found literally, longest first, none inside another."""
        found = [
            (start, start + len(term), term)
            for start, char in enumerate(text)
            for term in self._by_first.get(char, ())
            if text.startswith(term, start)
        ]
        found.sort(key=lambda f: (f[0] - f[1], f[0]))
        kept: list[_Span] = []
        for start, end, term in found:
            if not any(k.start <= start and end <= k.end for k in kept):
                kept.append(_Span(start, end, self._terms[term], 1.0, term))
        return kept

    def _sound_spans(
        self, text: str, literal: list[_Span], boundaries: frozenset[int]
    ) -> tuple[list[_Span], list[str]]:
        """Keywords and compound parts written with homophone typos: whole tokens, no ordinary words.

        Returns the keywords' spans and the parts heard ("档按" -> 档案), which compounds then see as written.
        """
        spans: list[_Span] = []
        parts: list[str] = []
        for hit in self._pinyin.sound_alikes(text):
            written = text[hit.start : hit.end]
            if hit.start not in boundaries or hit.end not in boundaries or written == hit.term:
                continue
            if any(s.start < hit.end and hit.start < s.end for s in (*literal, *spans)):
                continue
            if self._normalizer.is_common_word(written) or (
                len(written) == 2 and not set(written) & set(hit.term)
            ):
                continue
            if hit.term in self._parts:
                parts.append(hit.term)
            if hit.term in self._terms:
                spans.append(_Span(hit.start, hit.end, self._terms[hit.term], SOUND_WEIGHT, hit.term))
        return spans, parts

    def _add_fuzzy(self, evidence: dict[str, float], masked: str) -> None:
        """Last resort: a long keyword written with exactly one wrong character."""
        text = masked.replace(MASK, SEPARATOR)
        if len(text) < 3:
            return
        shared: Counter[str] = Counter()
        for char in set(text):
            shared.update(self._fuzzy_by_char.get(char, ()))
        near = [term for term, count in shared.items() if count >= len(set(term)) - 1]
        for term in sorted(near, key=len, reverse=True):
            width = len(term)
            for start in range(len(text) - width + 1):
                if Levenshtein.distance(text[start : start + width], term, score_cutoff=1) == 1:
                    evidence[self._terms[term]] += FUZZY_WEIGHT
                    return


def _add_words(
    evidence: dict[str, float],
    table: Mapping[str, Mapping[str, float]],
    cap: float,
    tokens: Iterable[str],
    masked: str,
) -> None:
    """Weak evidence from words of a weighted table, each word once, at most `cap` per bundle."""
    weak: dict[str, float] = defaultdict(float)
    for token in set(tokens):
        weights = table.get(token)
        if weights and token in masked:
            for slug, weight in weights.items():
                weak[slug] += weight
    for slug, weight in weak.items():
        evidence[slug] += min(weight, cap)


def _masked(text: str, spans: Iterable[_Span]) -> str:
    """`text` with every span's characters replaced by the mask."""
    for span in spans:
        text = text[: span.start] + MASK * (span.end - span.start) + text[span.end :]
    return text


def _forms(term: str, norm: Callable[[str], str]) -> tuple[str, ...]:
    """A term as written (canonical characters) and normalised: "娃" matches "娃娃" though it means 孩子."""
    raw, normal = canonical_chars(term), norm(term)
    return (normal,) if raw == normal or not raw else (normal, raw)


def _parts(term: str) -> tuple[tuple[str, ...], ...]:
    """ "A|B+C" -> (("A", "B"), ("C",)): every part must be present, by any of its alternatives."""
    return tuple(tuple(part.split(ALTERNATIVE)) for part in term.split(COMPOUND))


class _CompoundIndex:
    """Compound terms ("A|B+C" -> owner) found in one pass over the text, whatever the vocabulary's size."""

    def __init__(self, terms: Iterable[tuple[tuple[tuple[str, ...], ...], str]]) -> None:
        self._owners: list[str] = []
        self._sizes: list[int] = []
        self._where: dict[str, list[tuple[int, int]]] = defaultdict(list)  # alternative -> (term, part)
        for index, (parts, owner) in enumerate(terms):
            self._owners.append(owner)
            self._sizes.append(len(parts))
            for part, alternatives in enumerate(parts):
                for alternative in set(alternatives):
                    self._where[alternative].append((index, part))
        self._lengths = sorted({len(a) for a in self._where})

    def found(self, text: str) -> list[str]:
        """The owner of every term with one alternative of each of its parts in `text` (once per term)."""
        present: dict[int, set[int]] = defaultdict(set)
        where = self._where
        for start in range(len(text)):
            for length in self._lengths:
                for index, part in where.get(text[start : start + length], ()):
                    present[index].add(part)
        return [self._owners[i] for i, parts in present.items() if len(parts) == self._sizes[i]]


def _boundaries(tokens: Sequence[str]) -> frozenset[int]:
    """Offsets in the joined text where a token starts or ends."""
    offsets, at = {0}, 0
    for token in tokens:
        at += len(token)
        offsets.add(at)
    return frozenset(offsets)


def _decide(evidence: Mapping[str, float], out_of_scope: str | None, small_talk: bool = False) -> MatchResult:
    """Turn evidence into candidates and a decision: commit when sure, clear and asked for; ask when close."""
    ranked = sorted(((e, slug) for slug, e in evidence.items() if e > 0), reverse=True)[:3]
    candidates = tuple(Candidate(slug, round(confidence(e), 3)) for e, slug in ranked)
    if not candidates:
        return MatchResult("none", (), out_of_scope)
    top = ranked[0][0]
    close = tuple(c for c, (e, _) in zip(candidates, ranked, strict=True) if e >= AMBIGUOUS_AT * top)
    bar = COMMIT_AT if out_of_scope is None else COMMIT_BESIDE_OUT_OF_SCOPE_AT
    if candidates[0].score >= bar and len(close) == 1 and not small_talk:
        return MatchResult("commit", candidates, out_of_scope)
    if candidates[0].score >= SUGGEST_AT and out_of_scope is None:
        return MatchResult("clarify", close, out_of_scope)
    return MatchResult("none", candidates, out_of_scope)
