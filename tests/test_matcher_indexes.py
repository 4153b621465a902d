"""The matcher's compiled indexes: the automaton, the compound index and the pinyin index, on small data."""

from __future__ import annotations

from server.guide.automaton import Automaton
from server.guide.matcher.compound import CompoundIndex
from server.guide.pinyin import PinyinIndex


def test_the_automaton_finds_every_occurrence_by_start_then_length() -> None:
    words = Automaton({"户口": "a", "上户口": "b", "口": "c"})
    assert words.occurrences("孩子上户口,户口") == [
        (2, 5, "b"),
        (3, 5, "a"),
        (4, 5, "c"),
        (6, 8, "a"),
        (7, 8, "c"),
    ]


def test_an_empty_vocabulary_finds_nothing() -> None:
    assert Automaton({}).occurrences("任何文字") == []
    assert CompoundIndex([]).found("任何文字") == []


def test_a_compound_needs_one_alternative_of_every_part() -> None:
    index = CompoundIndex(
        [
            ((("公司", "企业"), ("注销",)), "deregistration", "公司|企业+注销"),
            ((("档案",), ("转",)), "graduate", "档案+转"),
        ]
    )
    assert index.found("企业想注销") == [("deregistration", "公司|企业+注销")]
    assert index.found("档案,转,企业") == [("graduate", "档案+转")]
    assert index.found("公司") == []


def test_sound_alikes_start_where_told() -> None:
    index = PinyinIndex(["注销", "档案"])
    assert [(h.start, h.end, h.term) for h in index.sound_alikes("企业注消档按")] == [
        (2, 4, "注销"),
        (4, 6, "档案"),
    ]
    assert [h.term for h in index.sound_alikes("企业注消档按", starts={4})] == ["档案"]


def test_spellings_longest_first_without_overlaps() -> None:
    index = PinyinIndex(["退休", "注册", "注册公司"])
    assert index.spelled("zhucegongsi") == ["注册公司"]
    assert index.spelled("tuixiuzhuce") == ["退休", "注册"]
