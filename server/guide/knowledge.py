"""Load and validate `knowledge/` into immutable objects; `python -m server.guide.knowledge check|stats`.

Every problem is reported with its file (relative to the knowledge root's parent, e.g.
`knowledge/items/marriage.yaml`) and the field path inside it (`items[3].materials[0].form`),
so a data author can fix all of them in one pass.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from server.guide.contract import CONTRACT_KINDS, CONTRACT_SLUGS
from server.guide.phrasing_check import check_bundle_phrasings, check_dialogue_words, placeholders
from server.guide.schema import (
    Bundle,
    ChecklistTexts,
    Dated,
    Department,
    DialogueWords,
    FormField,
    GlobalLexicon,
    HolidayNotice,
    HolidayRule,
    Item,
    Lexicon,
    Material,
    MaterialChange,
    MaterialUse,
    Meta,
    Option,
    Question,
    RetirementRules,
)
from server.guide.sourcing import (
    Census,
    all_sources,
    facts_of_bundle,
    facts_of_item,
    unsourced,
    unverified_facts,
)
from server.guide.vocabulary import MatcherRules, lexicon_problems, rules_problems
from server.holiday_rule import StatutoryHoliday, statutory_days_off
from server.workdays import HolidayYear, WorkdayCalendar

DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "knowledge"
WHOLE_FILE = "(file)"
GLOBAL_LEXICON = "_global"
RETIREMENT_FILE = "retirement_age.yaml"
HOLIDAY_RULE_FILE = "holiday_rule.yaml"
DIALOGUE_FILE = "dialogue.yaml"
MATCHER_RULES = "matcher.yaml"
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BROKEN = object()  # a file that could not be read or parsed (already reported)
M = TypeVar("M", bound=BaseModel)
D = TypeVar("D", bound=Dated)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the knowledge, located precisely enough to fix it."""

    file: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.message}"


class KnowledgeError(Exception):
    """Raised by `load_knowledge` with every problem found, not only the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in knowledge:\n" + "\n".join(map(str, problems)))


@dataclass(frozen=True)
class Knowledge:
    """The validated knowledge base; shared read-only by every request of a worker."""

    meta: Meta
    version: str
    bundles: Mapping[str, Bundle]
    items: Mapping[str, Item]
    materials: Mapping[str, Material]
    lexicons: Mapping[str, Lexicon]
    global_lexicon: GlobalLexicon
    retirement: RetirementRules | None  # None only in partial knowledge (`stats` on a broken tree)
    dialogue: DialogueWords  # how citizens answer, negate and close (`knowledge/dialogue.yaml`)
    departments: Mapping[str, Department]
    form_fields: Mapping[str, FormField]
    calendar: WorkdayCalendar | None  # None only while partial (the check reports why)
    matcher_rules: MatcherRules
    root: Path = DEFAULT_ROOT  # where it was read from (the ranker's training data and model sit there)


# --- reading files ---------------------------------------------------------------------------


def _field_path(prefix: str, loc: Iterable[int | str]) -> str:
    """Turn a pydantic error location into `items[3].materials[0].form`."""
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path = f"{path}.{part}" if path else str(part)
    return path or WHOLE_FILE


class _Reader:
    """Reads YAML files under one root, hashing their contents and collecting problems."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []
        self.unreadable: set[str] = set()  # files that could not be parsed at all
        self._contents: dict[str, bytes] = {}

    def name(self, path: Path) -> str:
        """The file name used in problems: relative to the root's parent, POSIX style."""
        return f"{self.root.name}/{path.relative_to(self.root).as_posix()}"

    def report(self, file: str, field: str, message: str) -> None:
        """Record one problem."""
        self.problems.append(Problem(file, field or WHOLE_FILE, message))

    def files(self, subdir: str) -> list[Path]:
        """The `*.yaml` files of a directory, sorted; anything else there is reported."""
        directory = self.root / subdir
        if not directory.is_dir():
            self.report(f"{self.root.name}/{subdir}", WHOLE_FILE, "directory is missing")
            return []
        paths = sorted(directory.iterdir())
        for path in paths:
            if path.is_file() and path.suffix != ".yaml" and not path.name.startswith("."):
                self.report(self.name(path), WHOLE_FILE, "unexpected file: data files must end in .yaml")
        return [path for path in paths if path.is_file() and path.suffix == ".yaml"]

    def read(self, path: Path) -> Any:
        """Parse one YAML file; `_BROKEN` (after reporting) when it is missing or invalid."""
        file = self.name(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            self.report(file, WHOLE_FILE, f"cannot read: {exc.strerror or exc}")
            self.unreadable.add(file)
            return _BROKEN
        self._contents[file] = raw
        try:
            return yaml.load(raw.decode("utf-8"), Loader=_YAML_LOADER)
        except UnicodeDecodeError as exc:
            self.report(file, WHOLE_FILE, f"not UTF-8: {exc.reason} at byte {exc.start}")
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else WHOLE_FILE
            problem = getattr(exc, "problem", None) or str(exc)
            self.report(file, where, f"YAML syntax error: {problem}")
        self.unreadable.add(file)
        return _BROKEN

    def parse(self, model: type[M], data: Any, file: str, prefix: str = "") -> M | None:
        """Validate data against a schema model, reporting each pydantic error at its field path."""
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                self.report(file, _field_path(prefix, error["loc"]), error["msg"])
            return None

    def digest(self) -> str:
        """A short hash of every file read, so any change to the data changes the version."""
        sha = hashlib.sha256()
        for file in sorted(self._contents):
            sha.update(file.encode())
            sha.update(b"\0")
            sha.update(self._contents[file])
            sha.update(b"\0")
        return sha.hexdigest()[:12]


@dataclass
class _Catalogue:
    """Entries of a catalogue directory by id, with the file and field each was defined at."""

    entries: dict[str, Any]
    origin: dict[str, tuple[str, str]]
    broken: set[str]  # ids of entries that failed validation: already reported, so not "unknown"
    complete: bool = True  # False when a whole file could not be read: any id might be defined there

    def unknown(self, entry_id: str) -> bool:
        """True when nothing, not even a broken entry or an unreadable file, may define this id."""
        return self.complete and entry_id not in self.entries and entry_id not in self.broken


def _load_catalogue(reader: _Reader, subdir: str, model: type[M], key: str = "id") -> _Catalogue:
    """Load every list file of a catalogue directory, reporting ids (the `key` field) defined twice."""
    catalogue = _Catalogue({}, {}, set())
    for path in reader.files(subdir):
        file = reader.name(path)
        data = reader.read(path)
        if data is _BROKEN or not isinstance(data, list):
            catalogue.complete = False
            if data is not _BROKEN:
                reader.report(file, WHOLE_FILE, f"must be a YAML list of {model.__name__} entries")
            continue
        for index, entry in enumerate(data):
            where = f"{subdir}[{index}]"
            parsed = reader.parse(model, entry, file, where)
            if parsed is None:
                if isinstance(entry, dict) and isinstance(entry.get(key), str):
                    catalogue.broken.add(entry[key])
                continue
            entry_id = getattr(parsed, key)
            if entry_id in catalogue.origin:
                first_file, first_where = catalogue.origin[entry_id]
                reader.report(
                    file,
                    f"{where}.{key}",
                    f"duplicate {key} {entry_id!r} (first defined at {first_file}: {first_where})",
                )
                continue
            catalogue.entries[entry_id] = parsed
            catalogue.origin[entry_id] = (file, where)
    return catalogue


def _load_named(reader: _Reader, subdir: str, model: type[M]) -> dict[str, tuple[str, M]]:
    """Load one-object-per-file documents (bundles, lexicons) whose slug must equal the file name."""
    loaded: dict[str, tuple[str, M]] = {}
    for path in reader.files(subdir):
        if subdir == "lexicon" and path.stem == GLOBAL_LEXICON:
            continue
        file = reader.name(path)
        data = reader.read(path)
        if data is _BROKEN:
            continue
        parsed = reader.parse(model, data, file)
        if parsed is None:
            continue
        slug = parsed.slug  # type: ignore[attr-defined]
        if slug != path.stem:
            reader.report(file, "slug", f"slug {slug!r} does not match the file name {path.stem!r}")
            continue
        loaded[slug] = (file, parsed)
    return loaded


def _load_single(reader: _Reader, path: Path, model: type[M]) -> M | None:
    """Load a single required document such as `meta.yaml`."""
    if not path.is_file():
        reader.report(reader.name(path), WHOLE_FILE, "file is missing")
        return None
    data = reader.read(path)
    return None if data is _BROKEN else reader.parse(model, data, reader.name(path))


# --- cross-file checks -----------------------------------------------------------------------


def _check_items(
    reader: _Reader, items: _Catalogue, materials: _Catalogue, departments: _Catalogue, fields: _Catalogue
) -> None:
    """Items must name known materials, items, departments and form fields, and cite their sources."""
    for item_id, item in items.entries.items():
        file, where = items.origin[item_id]
        if departments.unknown(item.department_code):
            reader.report(file, f"{where}.department_code", f"unknown department {item.department_code!r}")
        for index, name in enumerate(item.form_fields):
            if fields.unknown(name):
                reader.report(file, f"{where}.form_fields[{index}]", f"unknown form field {name!r}")
        if len(set(item.form_fields)) != len(item.form_fields):
            reader.report(file, f"{where}.form_fields", "a form field is listed twice")
        for index, use in enumerate(item.materials):
            if materials.unknown(use.material):
                reader.report(
                    file, f"{where}.materials[{index}].material", f"unknown material {use.material!r}"
                )
        for index, required in enumerate(item.requires):
            if items.unknown(required):
                reader.report(file, f"{where}.requires[{index}]", f"unknown item {required!r}")
        if not item.sources and not item.legal_basis:
            reader.report(
                file, f"{where}.sources", "no sources and no legal basis: say where the facts come from"
            )
        for fact in unsourced(facts_of_item(where, item)):
            reader.report(file, f"{fact.field}.sources", fact.message())


def _check_cycles(reader: _Reader, items: _Catalogue) -> None:
    """`requires` must form a DAG, or no order of steps could satisfy it."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(item_id: str, path: list[str]) -> None:
        state[item_id] = 1
        path.append(item_id)
        for index, required in enumerate(items.entries[item_id].requires):
            if required not in items.entries:
                continue
            if state.get(required) == 1:
                cycle = path[path.index(required) :] + [required]
                file, where = items.origin[item_id]
                reader.report(file, f"{where}.requires[{index}]", "dependency cycle: " + " -> ".join(cycle))
            elif required not in state:
                visit(required, path)
        path.pop()
        state[item_id] = 2

    for item_id in items.entries:
        if item_id not in state:
            visit(item_id, [])


def _check_material_changes(
    reader: _Reader,
    file: str,
    where: str,
    changes: Sequence[MaterialChange],
    in_bundle: set[str],
    materials: _Catalogue,
) -> None:
    """An option's material changes must name known materials and items of the bundle."""
    for index, change in enumerate(changes):
        if materials.unknown(change.material):
            reader.report(file, f"{where}[{index}].material", f"unknown material {change.material!r}")
        if change.item is not None and change.item not in in_bundle:
            reader.report(file, f"{where}[{index}].item", f"item {change.item!r} is not in this bundle")


def _check_option(
    reader: _Reader, file: str, where: str, option: Option, in_bundle: set[str], materials: _Catalogue
) -> None:
    """Options may only add or drop items the bundle combines."""
    for field in ("add_items", "drop_items"):
        for index, item_id in enumerate(getattr(option, field)):
            if item_id not in in_bundle:
                reader.report(file, f"{where}.{field}[{index}]", f"item {item_id!r} is not in this bundle")
    for field in ("add_materials", "drop_materials"):
        _check_material_changes(
            reader, file, f"{where}.{field}", getattr(option, field), in_bundle, materials
        )


def _check_questions(
    reader: _Reader, file: str, questions: Sequence[Question], in_bundle: set[str], materials: _Catalogue
) -> None:
    """Question ids are unique and `ask_if` refers only to earlier questions and their options."""
    earlier: dict[str, set[str]] = {}
    all_ids = {question.id for question in questions}
    for q_index, question in enumerate(questions):
        where = f"questions[{q_index}]"
        if question.id in earlier:
            reader.report(file, f"{where}.id", f"duplicate question id {question.id!r}")
        for c_index, condition in enumerate(question.ask_if):
            c_where = f"{where}.ask_if[{c_index}]"
            if condition.question not in earlier:
                kind = "a later" if condition.question in all_ids else "an unknown"
                reader.report(
                    file, f"{c_where}.question", f"refers to {kind} question {condition.question!r}"
                )
                continue
            for o_index, option_id in enumerate(condition.options):
                if option_id not in earlier[condition.question]:
                    reader.report(
                        file,
                        f"{c_where}.options[{o_index}]",
                        f"question {condition.question!r} has no option {option_id!r}",
                    )
        option_ids: set[str] = set()
        for o_index, option in enumerate(question.options):
            if option.id in option_ids:
                reader.report(file, f"{where}.options[{o_index}].id", f"duplicate option id {option.id!r}")
            option_ids.add(option.id)
            _check_option(reader, file, f"{where}.options[{o_index}]", option, in_bundle, materials)
        earlier.setdefault(question.id, option_ids)


def _check_bundle(
    reader: _Reader, file: str, bundle: Bundle, items: _Catalogue, materials: _Catalogue
) -> None:
    """A bundle's items, groups and questions must point at things that exist within it."""
    in_bundle: set[str] = set()
    for index, entry in enumerate(bundle.items):
        if items.unknown(entry.item):
            reader.report(file, f"items[{index}].item", f"unknown item {entry.item!r}")
        if entry.item in in_bundle:
            reader.report(file, f"items[{index}].item", f"item {entry.item!r} is listed twice")
        in_bundle.add(entry.item)
    for g_index, group in enumerate(bundle.required_together):
        if len(group) < 2:
            reader.report(file, f"required_together[{g_index}]", "a group needs at least two items")
        for index, item_id in enumerate(group):
            if item_id not in in_bundle:
                reader.report(
                    file, f"required_together[{g_index}][{index}]", f"item {item_id!r} is not in this bundle"
                )
    expected_kind = CONTRACT_KINDS.get(bundle.slug)
    if expected_kind and bundle.kind != expected_kind:
        reader.report(file, "kind", f"the contract says {bundle.slug!r} is {expected_kind!r}")
    _check_questions(reader, file, bundle.questions, in_bundle, materials)
    for fact in unsourced(facts_of_bundle(bundle)):
        reader.report(file, f"{fact.field}.sources", fact.message())


def _check_contract(reader: _Reader, bundles: Mapping[str, tuple[str, Bundle]]) -> None:
    """Exactly the contract's 18 bundles, no more, no fewer (unloadable files are reported already)."""
    for slug in CONTRACT_SLUGS:
        if slug not in bundles and not (reader.root / "bundles" / f"{slug}.yaml").exists():
            reader.report(
                f"{reader.root.name}/bundles/{slug}.yaml", WHOLE_FILE, f"contract bundle {slug!r} is missing"
            )
    for slug, (file, _) in bundles.items():
        if slug not in CONTRACT_KINDS:
            reader.report(file, "slug", f"bundle {slug!r} is not in the contract list")


def _contract_order(slug: str) -> tuple[int, str]:
    """Sort key putting contract bundles in contract order, anything else after them."""
    return (CONTRACT_SLUGS.index(slug) if slug in CONTRACT_SLUGS else len(CONTRACT_SLUGS), slug)


def _normal(term: str) -> str:
    """Compare vocabulary case- and space-insensitively, as the matcher will."""
    return "".join(term.split()).casefold()


def _bundle_names(bundle: Bundle) -> set[str]:
    """A bundle's name and its short form before any parenthesis, normalised."""
    name = _normal(bundle.name)
    return {name, name.split("(")[0].split("(")[0]}


def _check_lexicons(
    reader: _Reader, lexicons: Mapping[str, tuple[str, Lexicon]], bundles: Mapping[str, tuple[str, Bundle]]
) -> None:
    """Every bundle has a lexicon, and no keyword points at two bundles."""
    known = set(CONTRACT_SLUGS) | set(bundles)
    for slug in sorted(known, key=_contract_order):
        if slug not in lexicons:
            reader.report(
                f"{reader.root.name}/lexicon/{slug}.yaml", WHOLE_FILE, f"bundle {slug!r} has no lexicon"
            )
    owner: dict[str, tuple[str, str, int]] = {}  # keyword -> (slug, file, index)
    for slug, (file, lexicon) in lexicons.items():
        if slug not in known:
            reader.report(file, "slug", f"lexicon for unknown bundle {slug!r}")
        for index, keyword in enumerate(lexicon.keywords):
            key = _normal(keyword)
            for other, (_, bundle) in bundles.items():
                if other != slug and key in _bundle_names(bundle):
                    reader.report(
                        file, f"keywords[{index}]", f"keyword {keyword!r} is the name of bundle {other!r}"
                    )
            first = owner.get(key)
            if first and first[0] != slug:
                reader.report(
                    file,
                    f"keywords[{index}]",
                    f"keyword {keyword!r} is also a keyword of bundle "
                    f"{first[0]!r} ({first[1]}: keywords[{first[2]}]); the two could not be told apart",
                )
            owner.setdefault(key, (slug, file, index))


def _check_vocabulary(
    reader: _Reader,
    lexicons: Mapping[str, tuple[str, Lexicon]],
    global_lexicon: tuple[str, GlobalLexicon] | None,
    rules: MatcherRules | None,
) -> None:
    """The syntax of every lexicon term and synonym, and of the matcher's own word lists."""
    for file, problem in lexicon_problems(lexicons, global_lexicon):
        reader.report(file, problem.field, problem.message)
    for problem in rules_problems(rules) if rules else ():
        reader.report(f"{reader.root.name}/{MATCHER_RULES}", problem.field, problem.message)


def _check_unused_materials(
    reader: _Reader, materials: _Catalogue, items: _Catalogue, bundles: Iterable[Bundle]
) -> None:
    """A catalogue material nothing uses is dead data (or a missing reference)."""
    used = {use.material for item in items.entries.values() for use in item.materials}
    for bundle in bundles:
        for question in bundle.questions:
            for option in question.options:
                used.update(change.material for change in option.add_materials)
    for material_id, (file, where) in materials.origin.items():
        if material_id not in used:
            reader.report(file, f"{where}.id", f"material {material_id!r} is used by no item or option")


def _check_material_names(reader: _Reader, materials: _Catalogue) -> None:
    """A name or alias names one material only, once: a citizen's paper must not read as two."""
    owner = {_normal(m.name): material_id for material_id, m in materials.entries.items()}
    for material_id, material in materials.entries.items():
        file, where = materials.origin[material_id]
        seen = {_normal(material.name)}
        for index, alias in enumerate(material.aliases):
            first = owner.setdefault(_normal(alias), material_id)
            if first != material_id:
                message = f"alias {alias!r} already names material {first!r}"
            elif _normal(alias) in seen:
                message = f"alias {alias!r} repeats this material's name or another alias"
            else:
                seen.add(_normal(alias))
                continue
            reader.report(file, f"{where}.aliases[{index}]", message)


def _check_retirement(reader: _Reader, file: str, rules: RetirementRules) -> None:
    """Track ids are unique, both sexes are covered, and no term names two tracks."""
    seen: dict[str, int] = {}
    owner: dict[str, str] = {}
    for index, track in enumerate(rules.tracks):
        if track.id in seen:
            reader.report(file, f"tracks[{index}].id", f"duplicate track id {track.id!r}")
        seen.setdefault(track.id, index)
        for t_index, term in enumerate(track.terms):
            first = owner.setdefault(_normal(term), track.id)
            if first != track.id:
                reader.report(
                    file, f"tracks[{index}].terms[{t_index}]", f"term {term!r} also names track {first!r}"
                )
    for sex in ("male", "female"):
        if not any(track.sex == sex for track in rules.tracks):
            reader.report(file, "tracks", f"no track for sex {sex!r}")
    wording = rules.wording
    for index, template in enumerate(wording.born_in_year):
        if template.count("{year}") != 1 or placeholders(template) != {"year"}:
            reader.report(
                file, f"wording.born_in_year[{index}]", "needs {year} once and no other placeholder"
            )
    if (used := placeholders(wording.ask_birth_month)) is None or not used <= {"year"}:
        reader.report(file, "wording.ask_birth_month", "the only placeholder is {year}")


def _check_fields(reader: _Reader, fields: _Catalogue, items: _Catalogue) -> None:
    """A form field no item asks for is dead data; `required_if` must name a known field."""
    used = {name for item in items.entries.values() for name in item.form_fields}
    for name, (file, where) in fields.origin.items():
        if name not in used:
            reader.report(file, f"{where}.name", f"form field {name!r} is used by no item")
        condition = fields.entries[name].required_if
        if condition is not None and fields.unknown(condition.field):
            reader.report(file, f"{where}.required_if.field", f"unknown form field {condition.field!r}")


def _load_calendar(reader: _Reader, rule: HolidayRule | None) -> WorkdayCalendar | None:
    """`holidays/<year>.yaml`, one per year, contiguous, each day inside its year; the calendar of them,
    with the rule's days off for the `estimate_years` after the last notice."""
    notices: dict[int, tuple[str, HolidayNotice]] = {}
    for path in reader.files("holidays"):
        file = reader.name(path)
        data = reader.read(path)
        parsed = None if data is _BROKEN else reader.parse(HolidayNotice, data, file)
        if parsed is None:
            continue
        if str(parsed.year) != path.stem:
            reader.report(file, "year", f"year {parsed.year} does not match the file name {path.stem!r}")
            continue
        for index, period in enumerate(parsed.periods):
            if parsed.year not in (period.days_off[0].year, period.days_off[1].year):
                reader.report(file, f"periods[{index}].days_off", f"the days off are not in {parsed.year}")
            for w_index, day in enumerate(period.workdays):
                if day.year != parsed.year:
                    reader.report(
                        file, f"periods[{index}].workdays[{w_index}]", f"{day} is not in {parsed.year}"
                    )
        notices[parsed.year] = (file, parsed)
    if not notices:
        reader.report(
            f"{reader.root.name}/holidays", WHOLE_FILE, "no holiday notice: working days cannot be counted"
        )
        return None
    years = sorted(notices)
    missing = sorted(set(range(years[0], years[-1] + 1)) - set(years))
    if missing:
        reader.report(
            f"{reader.root.name}/holidays", WHOLE_FILE, f"years missing between known ones: {missing}"
        )
        return None
    estimated = {
        year: statutory_days_off(_statutory(rule), year)
        for year in range(years[-1] + 1, years[-1] + 1 + (rule.estimate_years if rule else 0))
    }
    published = (
        HolidayYear(
            year=year,
            days_off=frozenset(
                period.days_off[0] + dt.timedelta(days=offset)
                for period in notice.periods
                for offset in range((period.days_off[1] - period.days_off[0]).days + 1)
            ),
            weekend_workdays=frozenset(day for period in notice.periods for day in period.workdays),
            source=f"{notice.notice.title}({notice.notice.article or file})",
        )
        for year, (file, notice) in notices.items()
    )
    return WorkdayCalendar(published, estimated)


def _statutory(rule: HolidayRule | None) -> list[StatutoryHoliday]:
    return [StatutoryHoliday(**row.model_dump()) for row in (rule.holidays if rule else ())]


# --- loading ---------------------------------------------------------------------------------


def _load(root: Path) -> tuple[Knowledge, list[Problem]]:
    """Load everything that parses and collect every problem; the knowledge is partial if any."""
    reader = _Reader(root)
    meta = _load_single(reader, root / "meta.yaml", Meta)
    materials = _load_catalogue(reader, "materials", Material)
    items = _load_catalogue(reader, "items", Item)
    departments = _load_catalogue(reader, "departments", Department, key="code")
    fields = _load_catalogue(reader, "form_fields", FormField, key="name")
    calendar = _load_calendar(reader, _load_single(reader, root / HOLIDAY_RULE_FILE, HolidayRule))
    bundles = _load_named(reader, "bundles", Bundle)
    lexicons = _load_named(reader, "lexicon", Lexicon)
    global_path = root / "lexicon" / f"{GLOBAL_LEXICON}.yaml"
    global_lexicon = _load_single(reader, global_path, GlobalLexicon)
    retirement = _load_single(reader, root / RETIREMENT_FILE, RetirementRules)
    matcher_rules = _load_single(reader, root / MATCHER_RULES, MatcherRules)
    _check_items(reader, items, materials, departments, fields)
    _check_material_names(reader, materials)
    _check_cycles(reader, items)
    for file, bundle in bundles.values():
        _check_bundle(reader, file, bundle, items, materials)
    _check_contract(reader, bundles)
    dialogue = _load_single(reader, root / DIALOGUE_FILE, DialogueWords)
    if dialogue is not None:
        check_dialogue_words(reader.report, f"{root.name}/{DIALOGUE_FILE}", dialogue)
        for file, bundle in bundles.values():
            check_bundle_phrasings(reader.report, file, bundle, dialogue)
    _check_lexicons(reader, lexicons, bundles)
    if retirement is not None:
        _check_retirement(reader, f"{root.name}/{RETIREMENT_FILE}", retirement)
    named_global = (reader.name(global_path), global_lexicon) if global_lexicon else None
    _check_vocabulary(reader, lexicons, named_global, matcher_rules)
    from server.guide.matcher.corpus import check_corpus  # late: the matcher package imports this module

    corpus = sorted((root / "training").glob("*.jsonl"))
    check_corpus(((reader.name(path), path) for path in corpus), bundles, reader.report)
    if not reader.unreadable:  # otherwise a use may sit in the unreadable file
        _check_unused_materials(reader, materials, items, (bundle for _, bundle in bundles.values()))
        _check_fields(reader, fields, items)
    meta = meta or Meta.model_construct(
        version="invalid", reviewed_on=dt.date.min, reviewed_by="-", reviews=()
    )
    ordered = sorted(bundles, key=_contract_order)
    knowledge = Knowledge(
        meta=meta,
        version=f"{meta.version}+{reader.digest()}",
        bundles=MappingProxyType({slug: bundles[slug][1] for slug in ordered}),
        items=MappingProxyType(dict(items.entries)),
        materials=MappingProxyType(dict(materials.entries)),
        lexicons=MappingProxyType({slug: lexicon for slug, (_, lexicon) in lexicons.items()}),
        global_lexicon=global_lexicon or GlobalLexicon(),
        retirement=retirement,
        dialogue=dialogue or DialogueWords(negations=("不",)),
        departments=MappingProxyType(dict(departments.entries)),
        form_fields=MappingProxyType(dict(fields.entries)),
        calendar=calendar,
        matcher_rules=matcher_rules or MatcherRules.model_construct(),  # partial: problems were reported
        root=root,
    )
    return knowledge, reader.problems


def load_knowledge(root: Path | None = None) -> Knowledge:
    """Load and validate the knowledge tree; raise `KnowledgeError` listing every problem."""
    knowledge, problems = _load(root or DEFAULT_ROOT)
    if problems:
        raise KnowledgeError(problems)
    return knowledge


def check(root: Path | None = None) -> list[Problem]:
    """Every problem of the knowledge tree (empty when valid)."""
    return _load(root or DEFAULT_ROOT)[1]


# --- serving ---------------------------------------------------------------------------------


def _in_force(entries: Iterable[D], day: dt.date) -> list[D]:
    """The dated entries that apply on `day`."""
    return [entry for entry in entries if entry.in_force(day)]


def _dump(model: BaseModel) -> dict[str, Any]:
    """JSON-able dict of a model without empty optional fields."""
    return model.model_dump(mode="json", exclude_none=True)


def _dump_dated(entries: Iterable[D], day: dt.date) -> list[dict[str, Any]]:
    """JSON-able dicts of the entries in force on `day`."""
    return [_dump(entry) for entry in _in_force(entries, day)]


def _material_use(knowledge: Knowledge, use: MaterialUse) -> dict[str, Any]:
    """A material as one item needs it, with the catalogue's name and description resolved."""
    material = knowledge.materials[use.material]
    resolved = _dump(use)
    resolved.update(
        name=material.name,
        also_known_as=list(material.aliases),
        kind=material.kind.value,
        e_license=material.e_license,
        shared_data=material.shared_data,
    )
    if material.description:
        resolved["description"] = material.description
    return resolved


def _material_change(knowledge: Knowledge, change: MaterialChange) -> dict[str, Any]:
    """An option's material change with the material's name resolved."""
    return {**_dump(change), "name": knowledge.materials[change.material].name}


def _item_guide(knowledge: Knowledge, item: Item, day: dt.date) -> dict[str, Any]:
    """Everything a citizen needs to know about one item on `day`."""
    requires = [knowledge.items[r] for r in item.requires if r in knowledge.items]
    return {
        "id": item.id,
        "name": item.name,
        "code": item.code,
        "department": item.department,
        "legal_basis": [_dump(source) for source in item.legal_basis],
        "conditions": list(item.conditions),
        "materials": [_material_use(knowledge, use) for use in _in_force(item.materials, day)],
        "time_limit": {
            **_dump(item.time_limit),
            "unit": (knowledge.dialogue.checklist_texts or ChecklistTexts.missing()).unit(
                item.time_limit.calendar_days
            ),
            "working_days": item.time_limit.working_days(),
        },
        "applicant_deadline": _dump(item.applicant_deadline) if item.applicant_deadline else None,
        "fees": _dump_dated(item.fees, day),
        "result": item.result,
        "channels": _dump(item.channels),
        "requires": [{"id": r.id, "name": r.name} for r in _in_force(requires, day)],
        "notes": _dump_dated(item.notes, day),
        "sources": [_dump(source) for source in item.sources],
    }


def _option_guide(knowledge: Knowledge, option: Option, day: dt.date) -> dict[str, Any]:
    """One answer to a situation question and what it changes."""
    return {
        "id": option.id,
        "label": option.label,
        "synonyms": list(option.synonyms),
        "add_items": list(option.add_items),
        "drop_items": list(option.drop_items),
        "add_materials": [_material_change(knowledge, c) for c in option.add_materials],
        "drop_materials": [_material_change(knowledge, c) for c in option.drop_materials],
        "notes": _dump_dated(option.notes, day),
    }


def _question_guide(knowledge: Knowledge, question: Question, day: dt.date) -> dict[str, Any]:
    """A situation question with its options in force on `day`."""
    return {
        "id": question.id,
        "text": question.text,
        "help": question.help,
        "ask_if": [_dump(condition) for condition in question.ask_if],
        "options": [_option_guide(knowledge, option, day) for option in _in_force(question.options, day)],
    }


def bundle_summary(knowledge: Knowledge, slug: str, day: dt.date) -> dict[str, Any]:
    """The short form of a bundle for the list route; raises KeyError for an unknown slug."""
    bundle = knowledge.bundles[slug]
    entries = [entry for entry in bundle.items if knowledge.items[entry.item].in_force(day)]
    return {
        "slug": bundle.slug,
        "name": bundle.name,
        "kind": bundle.kind.value,
        "life_stage": bundle.life_stage,
        "summary": bundle.summary,
        "lead_department": bundle.lead_department,
        "item_count": len(entries),
        "optional_item_count": sum(entry.optional for entry in entries),
        "question_count": len(_in_force(bundle.questions, day)),
        "in_force": bundle.in_force(day),
        "as_of": day.isoformat(),
    }


def bundle_guide(knowledge: Knowledge, slug: str, day: dt.date) -> dict[str, Any]:
    """The full JSON-able guide of a bundle as in force on `day`; raises KeyError for an unknown slug."""
    bundle = knowledge.bundles[slug]
    entries = [(entry, knowledge.items[entry.item]) for entry in bundle.items]
    return {
        **bundle_summary(knowledge, slug, day),
        "version": knowledge.version,
        "valid_from": bundle.valid_from.isoformat() if bundle.valid_from else None,
        "valid_until": bundle.valid_until.isoformat() if bundle.valid_until else None,
        "channels": _dump(bundle.channels),
        "items": [
            {
                **_item_guide(knowledge, item, day),
                "optional": entry.optional,
                "selected_by_default": entry.selected_by_default,
            }
            for entry, item in entries
            if item.in_force(day)
        ],
        "required_together": [list(group) for group in bundle.required_together],
        "questions": [_question_guide(knowledge, q, day) for q in _in_force(bundle.questions, day)],
        "notes": _dump_dated(bundle.notes, day),
        "faq": _dump_dated(bundle.faq, day),
        "sources": [_dump(source) for source in bundle.sources],
    }


# --- command line ----------------------------------------------------------------------------


def _vocabulary_size(lexicon: Lexicon | None) -> int:
    """Keywords, phrases and synonyms of one lexicon."""
    if lexicon is None:
        return 0
    return len(lexicon.keywords) + len(lexicon.phrases) + len(lexicon.synonyms)


def _bundle_materials(knowledge: Knowledge, bundle: Bundle) -> set[str]:
    """Distinct materials any situation of the bundle can ask for."""
    used = {
        use.material
        for entry in bundle.items
        if entry.item in knowledge.items
        for use in knowledge.items[entry.item].materials
    }
    for question in bundle.questions:
        for option in question.options:
            used.update(change.material for change in option.add_materials)
    return used


def _summary_line(knowledge: Knowledge) -> str:
    """The one line `check` prints for valid knowledge."""
    vocabulary = sum(map(_vocabulary_size, knowledge.lexicons.values()))
    census = _census(knowledge)
    return (
        f"knowledge {knowledge.version}: {len(knowledge.bundles)} bundles, {len(knowledge.items)} items, "
        f"{len(knowledge.materials)} materials, {vocabulary} vocabulary entries, "
        f"{len(knowledge.departments)} departments, {len(knowledge.form_fields)} form fields, "
        f"holidays {_calendar_years(knowledge.calendar)}, {census.line()}"
    )


def _calendar_years(calendar: WorkdayCalendar | None) -> str:
    if calendar is None:
        return "none"
    estimated = (
        f" (estimated to {calendar.last_counted_year})"
        if calendar.last_counted_year > calendar.last_year
        else ""
    )
    return f"{calendar.first_year}-{calendar.last_year}{estimated}"


def _stats_lines(knowledge: Knowledge) -> list[str]:
    """Per-bundle size figures: items, distinct materials, vocabulary entries."""
    lines = [f"{'bundle':<24}{'items':>6}{'materials':>11}{'vocabulary':>12}"]
    for slug, bundle in knowledge.bundles.items():
        lines.append(
            f"{slug:<24}{len(bundle.items):>6}{len(_bundle_materials(knowledge, bundle)):>11}"
            f"{_vocabulary_size(knowledge.lexicons.get(slug)):>12}"
        )
    lines.append(_summary_line(knowledge))
    return lines


def _census(knowledge: Knowledge) -> Census:
    """Sources by kind and confidence across the whole knowledge."""
    return Census.of(
        all_sources(
            knowledge.items.values(),
            knowledge.bundles.values(),
            knowledge.materials.values(),
            knowledge.retirement,
        )
    )


def _sources_lines(knowledge: Knowledge) -> list[str]:
    """The census, then every fact that rests only on unverified sources (to verify before going live)."""
    weak = list(unverified_facts(knowledge.items.values(), knowledge.bundles.values()))
    return [_census(knowledge).line(), f"{len(weak)} facts rest only on unverified sources:", *weak]


def main(argv: Sequence[str] | None = None) -> int:
    """`check` validates and prints one summary line or every problem; `stats` prints the sizes;
    `sources` counts sources by kind and confidence and lists the facts resting only on unverified ones."""
    parser = argparse.ArgumentParser(prog="python -m server.guide.knowledge", description=__doc__)
    parser.add_argument("command", choices=("check", "stats", "sources"))
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="knowledge directory")
    args = parser.parse_args(argv)
    knowledge, problems = _load(args.root)
    if args.command == "sources":
        print("\n".join(_sources_lines(knowledge)))
        return 1 if problems else 0
    if args.command == "stats":
        print("\n".join(_stats_lines(knowledge)))
        if problems:
            print(f"warning: {len(problems)} problem(s); run `check` to list them", file=sys.stderr)
        return 0
    if problems:
        print("\n".join(map(str, problems)))
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"OK {_summary_line(knowledge)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
