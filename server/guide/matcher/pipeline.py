"""The matcher as an explicit pipeline: normalise -> discourse -> evidence layers -> vetoes -> decide.

Layers, strongest first: literal keywords, compounds, sound-alikes, spelled pinyin, phrase words,
knowledge words, fuzzy. Each yields `Evidence` (layer, span, bundle, weight); the vetoes (terms pointing
away, single items, small talk) act on the sums;
the rule decision decides. Everything is built once per process; `match` only reads.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence

from server.guide.knowledge import Knowledge
from server.guide.matcher.compound import CompoundIndex, Parts
from server.guide.matcher.decide import decide
from server.guide.matcher.discourse import DiscourseLayer
from server.guide.matcher.evidence import STRONG_LAYERS, Evidence, MatchResult, Trace
from server.guide.matcher.fuzzy import FuzzyLayer
from server.guide.matcher.literal import LiteralLayer
from server.guide.matcher.ranker import Ranker, load_or_train
from server.guide.matcher.sound import SoundLayer
from server.guide.matcher.spelled import SpelledLayer
from server.guide.matcher.vetoes import Vetoes
from server.guide.matcher.words import WordLayer
from server.guide.normalize import SEPARATOR, Normalizer, canonical_chars
from server.guide.pinyin import PinyinIndex
from server.guide.schema import GlobalLexicon, Lexicon
from server.guide.vocabulary import MASK, OUT_OF_SCOPE, MatcherRules, is_compound, parts

_NAME_HEAD = re.compile(r"[((]")


class Matcher:
    """Text -> ranked bundles; built once per worker process, immutable afterwards, safe to share."""

    def __init__(
        self,
        lexicons: Mapping[str, Lexicon],
        global_lexicon: GlobalLexicon,
        rules: MatcherRules,
        names: Mapping[str, str],
        materials: Mapping[str, Iterable[str]] | None = None,
        vocabulary: Mapping[str, Iterable[str]] | None = None,
    ):
        self.rules = rules
        weights = rules.weights
        synonyms: dict[str, str] = dict(global_lexicon.synonyms)
        for lexicon in lexicons.values():
            synonyms.update(lexicon.synonyms)
        raw_terms: dict[str, str] = {}  # term -> owner
        compounds: list[tuple[Parts, str, str]] = []
        for slug, lexicon in lexicons.items():
            name = names.get(slug, "")
            official = [name, _NAME_HEAD.split(name)[0]] if name else []
            for keyword in (*official, *lexicon.keywords):
                if is_compound(keyword):
                    compounds.append((parts(keyword), slug, keyword))
                else:
                    raw_terms.setdefault(keyword, slug)
        for term in global_lexicon.out_of_scope:
            raw_terms.setdefault(term, OUT_OF_SCOPE)
        part_words = {a for ps, _, _ in compounds for alts in ps for a in alts}
        self.normalizer = Normalizer([*raw_terms, *part_words], synonyms, global_lexicon.fillers)
        norm = self.normalizer.normalize
        terms: dict[str, str] = {}
        for term, owner in raw_terms.items():
            for form in _forms(term, norm):
                terms.setdefault(form, owner)
        self.literal = LiteralLayer(terms)
        self.compounds = CompoundIndex(
            (tuple(tuple(f for a in alts for f in _forms(a, norm)) for alts in ps), slug, name)
            for ps, slug, name in compounds
        )
        excludes = CompoundIndex(
            (tuple(tuple(f for a in alts for f in _forms(a, norm)) for alts in parts(term)), slug, term)
            for slug, lex in lexicons.items()
            for term in lex.exclude
        )
        compound_parts = {f for alts in part_words for f in _forms(alts, norm)}
        pinyin = PinyinIndex([*terms, *compound_parts])
        self.discourse = DiscourseLayer(rules.negation, rules.discourse)
        self.sound = SoundLayer(pinyin, terms, compound_parts, self.normalizer.is_common_word, weights.sound)
        self.spelled = SpelledLayer(pinyin, terms, weights.spelled)
        tokens = self.normalizer.tokens
        self.phrase_words = WordLayer(
            "phrase",
            {slug: lex.phrases for slug, lex in lexicons.items()},
            tokens,
            weights.phrase_word,
            weights.phrase_word_cap,
            weights.phrase_word_max_bundles,
        )
        self.knowledge_words = WordLayer(
            "knowledge",
            vocabulary or {},
            tokens,
            weights.knowledge_word,
            weights.knowledge_word_cap,
            weights.knowledge_word_max_bundles,
            lambda word: not self.normalizer.is_common_word(word, weights.knowledge_word_max_freq),
        )
        self.fuzzy = FuzzyLayer(terms, weights.fuzzy_min_length, weights.fuzzy)
        materials_normal = {slug: tuple(map(norm, ms)) for slug, ms in (materials or {}).items()}
        self.vetoes = Vetoes(excludes, materials_normal, rules.talk, weights)
        self.slugs = tuple(lexicons)
        self.ranker: Ranker | None = None  # set by `use_ranker`; the rule decision alone until then
        self.match("施工许司证 zhuce 不是护照")  # warm every layer now, not on a citizen's first request

    @classmethod
    def from_knowledge(cls, knowledge: Knowledge) -> Matcher:
        """The served matcher: the rule layers and the ranker trained for this knowledge.

        A ranker artefact missing or made for other bundles is retrained here, from the corpus in the
        repo (seconds; the server builds this in an executor) and logged; it is never served stale.
        """
        matcher = cls.rules_only(knowledge)
        matcher.use_ranker(load_or_train(knowledge, matcher))
        return matcher

    @classmethod
    def rules_only(cls, knowledge: Knowledge) -> Matcher:
        """Build the rule layers from the loaded knowledge: lexicons, rules, names, materials and words."""
        names = {slug: bundle.name for slug, bundle in knowledge.bundles.items()}
        materials = {
            slug: sorted(
                {
                    knowledge.materials[use.material].name
                    for entry in bundle.items
                    for use in knowledge.items[entry.item].materials
                }
            )
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
        return cls(
            knowledge.lexicons,
            knowledge.global_lexicon,
            knowledge.matcher_rules,
            names,
            materials,
            vocabulary,
        )

    def use_ranker(self, ranker: Ranker | None) -> None:
        """Decide with the learned ranker on top of the rule layers (None: the rules alone)."""
        self.ranker = ranker
        self.match("施工许司证 zhuce 不是护照")

    def normalize(self, text: str) -> str:
        """Full/half width, fillers, synonyms and typos resolved: reused by the dialogue for free text."""
        return self.normalizer.normalize(text)

    def match(self, text: str) -> MatchResult:
        """Rank the bundles `text` may be about and decide whether to commit, clarify or say none."""
        result = self.trace(text).result
        assert result is not None
        return result

    def trace(self, text: str) -> Trace:
        """Run the pipeline and keep everything it saw (what `explain` prints)."""
        trace = Trace(text)
        tokens = self.normalizer.tokens(text)
        trace.tokens = tokens
        trace.normal = normal = "".join(tokens)
        masked, muted = self.discourse.mask(normal)
        trace.focused = masked
        trace.vetoes += [f"{m.why} {m.marker!r} mutes {normal[m.start : m.end]!r}" for m in muted]
        boundaries = _boundaries(tokens)
        spans = self.literal.spans(masked, boundaries)
        sounded, heard_parts = self.sound.spans(masked, spans, boundaries)
        spans += sounded
        out_of_scope = next((s.term for s in spans if s.bundle == OUT_OF_SCOPE), None)
        excluded = self.vetoes.excluded(masked)  # before masking single items: "地址变更" still points away
        masked = _masked(masked, [s for s in spans if s.bundle == OUT_OF_SCOPE])
        trace.evidence += spans
        spelled = self.spelled.read(masked)
        trace.evidence += spelled.evidence
        out_of_scope = out_of_scope or spelled.out_of_scope
        # compound parts misheard ("档按") or written in pinyin ("biye dangan") count as written
        for slug, term in self.compounds.found(SEPARATOR.join([masked, *heard_parts, *spelled.parts])):
            trace.evidence.append(Evidence("compound", slug, 1.0, term))
        trace.evidence += self.phrase_words.evidence(tokens, masked)
        evidence = trace.totals(exclude=[OUT_OF_SCOPE])
        if (
            max(evidence.values(), default=0.0) < self.rules.thresholds.half_confidence
            and out_of_scope is None
        ):
            trace.evidence += self.fuzzy.evidence(masked)
        if out_of_scope is None:  # a named single item is not tipped into a bundle by its vocabulary
            unexplained = _masked(masked, spans)  # words inside a keyword are that keyword's evidence
            trace.evidence += self.knowledge_words.evidence(tokens, unexplained)
        trace.masked = masked
        evidence = trace.totals(exclude=[OUT_OF_SCOPE])
        self.vetoes.penalise(evidence, excluded)
        trace.vetoes += [f"exclude {term!r} lowers {slug}" for slug, term in excluded if slug in evidence]
        if out_of_scope and evidence:
            leader = max(evidence, key=evidence.__getitem__)
            if self.vetoes.material_of(leader, out_of_scope):
                trace.vetoes.append(f"{out_of_scope!r} is a material of {leader}, not a single item")
                out_of_scope = None
        if out_of_scope:
            trace.vetoes.append(f"out of scope: {out_of_scope!r}")
        small_talk = self.vetoes.small_talk(masked)
        if small_talk:
            trace.vetoes.append(f"small talk {small_talk!r} without an errand word")
        trace.bundle_evidence = evidence
        trace.out_of_scope, trace.small_talk = out_of_scope, small_talk is not None
        trace.talk_word, trace.errand_word = self.vetoes.words(masked)
        trace.errands = self._errands(trace)
        trace.linked = bool(trace.errands) and self.discourse.link(trace.masked) is not None
        trace.rule = decide(evidence, out_of_scope, small_talk is not None, self.rules.thresholds)
        trace.result = self.ranker.decide(trace) if self.ranker else trace.rule
        return trace

    def _errands(self, trace: Trace) -> tuple[str, ...]:
        """Two bundles a strong layer (keyword, compound, sound-alike, spelling) found on either side of a
        clause break, joiner or coordinator ("结婚登记和孩子上户口"), the stronger first; else () (and in a
        long story, which names other bundles' words in passing)."""
        strong: dict[str, float] = {}
        for item in trace.evidence:
            if item.layer in STRONG_LAYERS and item.bundle != OUT_OF_SCOPE:
                strong[item.bundle] = strong.get(item.bundle, 0.0) + item.weight
        named = {slug for slug, e in strong.items() if e >= 1.0}
        if len(named) < 2 or len(trace.normal) > self.rules.discourse.two_errands_max_length:
            return ()
        text = trace.masked
        segments: list[set[str]] = []
        for start, end in self.discourse.segments(text):
            here = {
                item.bundle
                for item in trace.evidence
                if item.layer in STRONG_LAYERS and item.bundle in named and start <= item.start < end
            }
            here.update(slug for slug, _ in self.compounds.found(text[start:end]) if slug in named)
            if here:
                segments.append(here)
        if not segments:
            return ()

        def weight(slug: str) -> tuple[float, str]:  # ties go by name, so training is reproducible
            return strong[slug], slug

        leader = max(set().union(*segments), key=weight)
        elsewhere = {slug for here in segments if leader not in here for slug in here}
        if not elsewhere:
            return ()
        return leader, max(elsewhere, key=weight)


def _masked(text: str, spans: Iterable[Evidence]) -> str:
    """`text` with every span's characters replaced by the mask."""
    for span in spans:
        text = text[: span.start] + MASK * (span.end - span.start) + text[span.end :]
    return text


def _forms(term: str, norm: Callable[[str], str]) -> tuple[str, ...]:
    """A term as written (canonical characters) and normalised: "娃" matches "娃娃" though it means 孩子."""
    raw, normal = canonical_chars(term), norm(term)
    return (normal,) if raw == normal or not raw else (normal, raw)


def _boundaries(tokens: Sequence[str]) -> frozenset[int]:
    """Offsets in the joined text where a token starts or ends."""
    offsets, at = {0}, 0
    for token in tokens:
        at += len(token)
        offsets.add(at)
    return frozenset(offsets)
