"""Text normalisation for the guide: width, case, punctuation, fillers and synonyms, on jieba tokens.

One `Normalizer` per process owns a private `jieba.Tokenizer` whose user dictionary is the domain
vocabulary, so colloquial phrases ("老人走了", "到点了") come out as single tokens and map cleanly.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache

import jieba
import opencc

SEPARATOR = ","
# Runs of anything that is neither a CJK ideograph, a latin letter nor a digit become one separator.
_NOISE = re.compile(r"[^0-9a-z\u3400-\u4dbf\u4e00-\u9fff]+")
_LATIN = re.compile(r"[0-9a-z]")
# Traditional text (Hong Kong, Macao, Taiwan) -> simplified by OpenCC's t2s: character and phrase tables,
# so "乾隆" and "著作" stay while "乾淨" and "顯著" convert.
_TO_SIMPLIFIED = opencc.OpenCC("t2s")


def canonical_chars(text: str) -> str:
    """Half width, simplified characters, lower case; each punctuation/space/emoji run to one separator."""
    text = _TO_SIMPLIFIED.convert(unicodedata.normalize("NFKC", text).casefold())
    return _NOISE.sub(SEPARATOR, text).strip(SEPARATOR)


def _join(tokens: Iterable[str]) -> str:
    """Concatenate tokens, keeping a space between two latin tokens so "zhu ce" stays readable."""
    out = ""
    for token in tokens:
        if out and _LATIN.match(token[:1]) and _LATIN.match(out[-1]):
            out += " "
        out += token
    return out


TOKEN_CACHE_SIZE = 256


class Normalizer:
    """Tokenises with the domain dictionary, drops fillers and rewrites synonyms to canonical terms."""

    def __init__(self, words: Iterable[str], synonyms: Mapping[str, str], fillers: Iterable[str]) -> None:
        logging.getLogger("jieba").setLevel(logging.WARNING)
        self._tokenizer = jieba.Tokenizer()
        self._tokenizer.initialize()
        self._synonyms = {canonical_chars(k): canonical_chars(v) for k, v in synonyms.items()}
        # Synonyms of several words ("pass away", "get married") are rewritten before tokenising.
        self._phrases = {k: v for k, v in self._synonyms.items() if SEPARATOR in k}
        self._phrase_re = (
            re.compile(
                r"(?<![0-9a-z])(?:"
                + "|".join(map(re.escape, sorted(self._phrases, key=len, reverse=True)))
                + r")(?![0-9a-z])"
            )
            if self._phrases
            else None
        )
        self._fillers = frozenset(canonical_chars(f) for f in fillers)
        # Sorted: jieba gives an added word a frequency from those already added, so the order decides
        # how texts are cut; a set's order changes with each process's hash seed (workers, the trainer).
        for word in sorted({*map(canonical_chars, words), *self._synonyms, *self._fillers}):
            if len(word) > 1 and not _LATIN.search(word):
                self._tokenizer.add_word(word)
        self._cached_tokens = lru_cache(maxsize=TOKEN_CACHE_SIZE)(self._tokens)

    def is_common_word(self, text: str, at_least: int = 50) -> bool:
        """True when `text` is a dictionary word used at least `at_least` times in jieba's corpus."""
        return self._tokenizer.FREQ.get(text, 0) >= at_least

    def tokens(self, text: str) -> tuple[str, ...]:
        """Normalised tokens of `text`; separators are kept as `SEPARATOR` tokens to mark clauses.

        Memoised (a few hundred recent texts): one dialogue turn segments the same text several times.
        """
        return self._cached_tokens(text)

    def _tokens(self, text: str) -> tuple[str, ...]:
        out: list[str] = []
        text = canonical_chars(text)
        if self._phrase_re:
            text = self._phrase_re.sub(lambda m: self._phrases[m.group(0)], text)
        for token in self._tokenizer.cut(text, HMM=False):
            if token in self._fillers:
                continue
            token = self._synonyms.get(token, token)
            if token == SEPARATOR and (not out or out[-1] == SEPARATOR):
                continue
            out.append(token)
        while out and out[-1] == SEPARATOR:
            out.pop()
        return tuple(out)

    def normalize(self, text: str) -> str:
        """The canonical form of `text`: what the matcher and the dialogue compare against."""
        return _join(self.tokens(text))
