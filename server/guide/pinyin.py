"""The pinyin layer: finds vocabulary written with homophone typos ("注消"), in pinyin ("tuixiu") or initials.

Each character is read with its first dictionary reading, without tones, and the common regional
confusions (zh/z, ch/c, sh/s, n/l, -ng/-n) are folded, so one wrong IME pick still finds the term.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
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


class _SoundNode:
    """A node of the sound trie: the terms that sound like the path to it, and the next syllables."""

    __slots__ = ("next", "terms")

    def __init__(self) -> None:
        self.next: dict[str, _SoundNode] = {}
        self.terms: tuple[str, ...] = ()


_UNSEEN = object()
MIN_SPELLING = 4  # letters: spellings shorter than this are not looked for inside a latin run


class PinyinIndex:
    """Sound-alike lookup of a fixed vocabulary of Chinese terms (two characters or more)."""

    def __init__(self, terms: Iterable[str]) -> None:
        by_sound: dict[tuple[str, ...], list[str]] = {}
        self._by_spelling: dict[str, str] = {}  # "tuixiu" -> 退休
        self._by_initials: dict[str, str] = {}  # "jhdj" -> 结婚登记
        self._by_head_initials: dict[str, list[tuple[str, str]]] = {}  # "zc" -> [("公司", 注册公司)]
        for term in sorted(set(terms)):
            syllables = [syllable(c) for c in term]
            if len(term) < 2 or None in syllables:
                continue
            plain = [s for s in syllables if s]
            by_sound.setdefault(tuple(map(_fold, plain)), []).append(term)
            self._by_spelling.setdefault("".join(plain), term)
            if len(term) >= 3:
                self._by_initials.setdefault("".join(s[0] for s in plain), term)
                for cut in range(2, len(term)):
                    initials = "".join(s[0] for s in plain[:cut])
                    self._by_head_initials.setdefault(initials, []).append((term[cut:], term))
        self._trie = _SoundNode()
        for sounds, found in by_sound.items():
            node = self._trie
            for sound in sounds:
                node = node.next.setdefault(sound, _SoundNode())
            node.terms = tuple(found)
        self._keys: dict[str, object] = {}
        self._spelling_order = {spelling: i for i, spelling in enumerate(self._by_spelling)}
        self._longest_spelling = max(map(len, self._by_spelling), default=0)

    def sound_alikes(self, text: str, starts: Container[int] | None = None) -> list[PinyinHit]:
        """Every vocabulary term whose folded sound equals a span of `text` (exact spellings included),
        by start and then end; only spans beginning at `starts` when given. One walk of the sound trie
        from each start."""
        keys = [self._key(char) for char in text]
        hits: list[PinyinHit] = []
        for start in range(len(text) - 1):
            if starts is not None and start not in starts:
                continue
            node = self._trie
            for end in range(start, len(text)):
                key = keys[end]
                child = node.next.get(key) if key is not None else None
                if child is None:
                    break
                node = child
                hits += [PinyinHit(start, end + 1, term) for term in node.terms]
        return hits

    def _key(self, char: str) -> str | None:
        """The folded sound of one character (None for anything else), remembered per character."""
        key = self._keys.get(char, _UNSEEN)
        if key is _UNSEEN:
            sound = syllable(char)
            key = self._keys[char] = _fold(sound) if sound else None
        return key  # type: ignore[return-value]

    def head_initials(self, letters: str, following: str) -> str | None:
        """The longest term whose head is written by initials and the rest in characters ("zc" + "公司…")."""
        fits = [term for rest, term in self._by_head_initials.get(letters, ()) if following.startswith(rest)]
        return max(fits, key=len, default=None)

    def spelled(self, letters: str) -> list[str]:
        """Terms spelled in toneless pinyin inside `letters` (longest first, no overlaps), or by initials."""
        if letters in self._by_initials:
            return [self._by_initials[letters]]
        by_spelling, order = self._by_spelling, self._spelling_order
        first: dict[str, int] = {}  # spelling -> where it first occurs in `letters`
        for start in range(len(letters)):
            for end in range(start + MIN_SPELLING, min(len(letters), start + self._longest_spelling) + 1):
                if letters[start:end] in by_spelling:
                    first.setdefault(letters[start:end], start)
        found = sorted(  # longest first; equally long ones in the vocabulary's order
            ((start, start + len(spelling), by_spelling[spelling]) for spelling, start in first.items()),
            key=lambda f: (f[0] - f[1], order[letters[f[0] : f[1]]]),
        )
        kept: list[tuple[int, int, str]] = []
        for start, end, term in found:
            if all(end <= k_start or k_end <= start for k_start, k_end, _ in kept):
                kept.append((start, end, term))
        return [term for _, _, term in kept]
