"""The pinyin layer: finds vocabulary written with homophone typos ("注消"), in pinyin ("tuixiu") or initials.

Each character is read with its first dictionary reading, without tones, and the common regional
confusions (zh/z, ch/c, sh/s, n/l, -ng/-n) are folded, so one wrong IME pick still finds the term.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pypinyin.pinyin_dict import pinyin_dict

_TONELESS = str.maketrans(
    "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ",
    "aaaaeeeeiiiioooouuuuvvvvvnnnm",
)


def syllable(char: str) -> str | None:
    """The toneless first reading of one Chinese character, or None for anything else."""
    readings = pinyin_dict.get(ord(char))
    return readings.split(",", 1)[0].translate(_TONELESS) if readings else None


def _fold(syl: str) -> str:
    """Fold the sounds that speakers and IMEs commonly confuse into one key."""
    if syl[:2] in ("zh", "ch", "sh"):
        syl = syl[0] + syl[2:]
    if syl.startswith("l"):
        syl = "n" + syl[1:]
    if syl.endswith("ng"):
        syl = syl[:-1]
    return syl


@dataclass(frozen=True)
class PinyinHit:
    """A vocabulary term found at text[start:end] by its sound rather than its characters."""

    start: int
    end: int
    term: str


class PinyinIndex:
    """Sound-alike lookup of a fixed vocabulary of Chinese terms (two characters or more)."""

    def __init__(self, terms: Iterable[str]) -> None:
        self._by_sound: dict[tuple[str, ...], list[str]] = {}
        self._by_spelling: dict[str, str] = {}  # "tuixiu" -> 退休
        self._by_initials: dict[str, str] = {}  # "jhdj" -> 结婚登记
        self._by_head_initials: dict[str, list[tuple[str, str]]] = {}  # "zc" -> [("公司", 注册公司)]
        for term in sorted(set(terms)):
            syllables = [syllable(c) for c in term]
            if len(term) < 2 or None in syllables:
                continue
            plain = [s for s in syllables if s]
            self._by_sound.setdefault(tuple(map(_fold, plain)), []).append(term)
            self._by_spelling.setdefault("".join(plain), term)
            if len(term) >= 3:
                self._by_initials.setdefault("".join(s[0] for s in plain), term)
                for cut in range(2, len(term)):
                    initials = "".join(s[0] for s in plain[:cut])
                    self._by_head_initials.setdefault(initials, []).append((term[cut:], term))
        self._longest = max((len(k) for k in self._by_sound), default=0)

    def sound_alikes(self, text: str) -> list[PinyinHit]:
        """Every vocabulary term whose folded sound equals a span of `text` (exact spellings included)."""
        sounds = [syllable(c) for c in text]
        keys = [_fold(s) if s else None for s in sounds]
        hits: list[PinyinHit] = []
        for start in range(len(text) - 1):
            for end in range(start + 2, min(len(text), start + self._longest) + 1):
                window = keys[start:end]
                if None in window:
                    break
                for term in self._by_sound.get(tuple(window), ()):  # type: ignore[arg-type]
                    hits.append(PinyinHit(start, end, term))
        return hits

    def head_initials(self, letters: str, following: str) -> str | None:
        """The longest term whose head is written by initials and the rest in characters ("zc" + "公司…")."""
        fits = [term for rest, term in self._by_head_initials.get(letters, ()) if following.startswith(rest)]
        return max(fits, key=len, default=None)

    def spelled(self, letters: str) -> list[str]:
        """Terms spelled in toneless pinyin inside `letters` (longest first, no overlaps), or by initials."""
        if letters in self._by_initials:
            return [self._by_initials[letters]]
        found = sorted(
            (
                (start, start + len(spelling), term)
                for spelling, term in self._by_spelling.items()
                if len(spelling) >= 4 and (start := letters.find(spelling)) >= 0
            ),
            key=lambda f: f[0] - f[1],
        )
        kept: list[tuple[int, int, str]] = []
        for start, end, term in found:
            if all(end <= k_start or k_end <= start for k_start, k_end, _ in kept):
                kept.append((start, end, term))
        return [term for _, _, term in kept]
