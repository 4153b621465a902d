"""Character folding: traditional text reads as simplified (OpenCC t2s), simplified text stays as it is."""

from __future__ import annotations

import pytest

from server.guide.knowledge import load_knowledge
from server.guide.normalize import canonical_chars


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("營業執照怎麼辦理？", "营业执照怎么办理"),
        ("頭髮", "头发"),  # 髮 and 發 both become 发
        ("乾淨", "干净"),
        ("乾隆年間", "乾隆年间"),  # a name keeps its 乾: phrases, not one character at a time
        ("一隻狗", "一只狗"),
        ("ＡＢＣ　１２３", "abc,123"),  # full width folded, the space a separator
    ],
)
def test_traditional_characters_and_width_are_folded(written: str, read: str) -> None:
    assert canonical_chars(written) == read


def test_the_knowledge_reads_the_same_after_folding() -> None:
    """Every term of the lexicons is simplified already: folding changes none of its characters."""
    knowledge = load_knowledge()
    lexicons = [knowledge.global_lexicon, *knowledge.lexicons.values()]
    terms = [
        term
        for lexicon in knowledge.lexicons.values()
        for term in (*lexicon.keywords, *lexicon.phrases, *lexicon.exclude)
    ]
    terms += [term for lexicon in lexicons for pair in lexicon.synonyms.items() for term in pair]
    assert len(terms) > 500
    changed = [t for t in terms if _ideographs(canonical_chars(t)) != _ideographs(t)]
    assert not changed


def _ideographs(text: str) -> str:
    return "".join(c for c in text if "\u3400" <= c <= "\u9fff")
