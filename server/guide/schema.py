"""The shape of `knowledge/`: pydantic models that parse, validate and freeze the data files.

Every fact that changes on a known date carries `valid_from` / `valid_until`, so what is
served follows the date a question is asked on (see `Dated.in_force`; the guide, checklist and
bundle routes filter by it).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


class Frozen(BaseModel):
    """Immutable, strict base: unknown fields are errors, so typos in data files surface."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Dated(Frozen):
    """Something in force from `valid_from` (inclusive) to `valid_until` (inclusive)."""

    valid_from: dt.date | None = None
    valid_until: dt.date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Dated:
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValueError("valid_until is before valid_from")
        return self

    def in_force(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until
        )


class SourceKind(StrEnum):
    """What a source is; only the first four are official and may be `high`."""

    statute = "statute"  # 法律 (全国人大及其常委会)
    state_council = "state_council"  # 行政法规、国务院及国务院办公厅文件
    ministry = "ministry"  # 部门规章、部委文件和公告
    provincial_guide = "provincial_guide"  # 省、市政府或部门的官方办事指南、方案
    secondary = "secondary"  # 转载、镜像、媒体、论坛、第三方解读


OFFICIAL_KINDS = frozenset(kind for kind in SourceKind if kind is not SourceKind.secondary)

# A date as precise as it is known: 2024-09-13, 2024-09 or 2024 (e.g. the year in a document number).
PartialDate = Annotated[
    str, StringConstraints(pattern=r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")
]


class Confidence(StrEnum):
    high = "high"  # read in the statute or official document itself
    medium = "medium"
    low = "low"
    unverified = "unverified"  # not found in any source we could read: say so to the citizen's adviser


class Source(Frozen):
    """Where a fact comes from: what kind of source, when published or retrieved, how sure we are.

    `confidence` mirrors the research marks and has no default; only official kinds may be `high`, and
    secondary sources (mirrors, forums, media, our own research notes) are at most `low`.
    """

    title: Text
    url: str | None = None
    article: str | None = None
    kind: SourceKind
    published: PartialDate | None = None  # publication (or adoption) date of the document
    retrieved: PartialDate | None = None  # when a page was read, for sources without a known date
    confidence: Confidence

    @model_validator(mode="after")
    def _sourcing_rules(self) -> Source:
        if self.published is None and self.retrieved is None:
            raise ValueError("a source needs its publication date (published) or retrieval date (retrieved)")
        if self.confidence is Confidence.high and self.kind not in OFFICIAL_KINDS:
            raise ValueError(
                "only statutes and official documents may be 'high'; a secondary source is at most 'low'"
            )
        if self.kind is SourceKind.secondary and self.confidence is Confidence.medium:
            raise ValueError("a secondary source (mirror, forum, media, research note) is at most 'low'")
        return self


class Note(Dated):
    """A dated remark shown to citizens (a rule, a local variation, a warning)."""

    text: Text
    varies_by_locality: bool = False
    sources: tuple[Source, ...] = ()


# --- materials -------------------------------------------------------------------------------


class MaterialKind(StrEnum):
    identity = "identity"  # 身份证件
    certificate = "certificate"  # 证照/证明 issued by an authority
    form = "form"  # 申请表/声明书, usually filled or signed on site
    photo = "photo"
    contract = "contract"
    proof = "proof"  # other supporting documents
    other = "other"


class Material(Frozen):
    """One entry of the shared material catalogue (`knowledge/materials/*.yaml`): the basis of 一套材料."""

    id: Slug
    name: Text
    # Other names the same paper is commonly known by (other cities' guides, the issuer's own title):
    # shown beside the name so a citizen holding "解除劳动合同证明" sees it is this material.
    aliases: tuple[Text, ...] = ()
    kind: MaterialKind
    description: str | None = None
    e_license: bool = False  # 有电子证照: can be shown/fetched electronically
    shared_data: bool = False  # obtainable by departments through data sharing
    sources: tuple[Source, ...] = ()


class MaterialForm(StrEnum):
    original = "original"  # 原件(核验后退还)
    copy = "copy"  # 复印件
    original_and_copy = "original_and_copy"
    electronic = "electronic"
    signed_on_site = "signed_on_site"  # 现场签署
    provided_on_site = "provided_on_site"  # e.g. photos taken at the window


class MaterialUse(Dated):
    """How one item uses one catalogue material."""

    material: Slug
    form: MaterialForm = MaterialForm.original
    copies: int = Field(default=1, ge=1)
    required: bool = True
    # True when the department can do without it thanks to shared data or an electronic licence.
    waivable: bool = False
    note: str | None = None
    varies_by_locality: bool = False  # the requirement differs between localities (say how in `note`)


# --- items -----------------------------------------------------------------------------------


CALENDAR_DAYS_A_WEEK = 7
WORKING_DAYS_A_WEEK = 5


def calendar_to_working_days(days: int) -> int:
    """Working days a citizen should plan for `days` calendar days, rounded up: ceil(days × 5 / 7)."""
    return -(-days * WORKING_DAYS_A_WEEK // CALENDAR_DAYS_A_WEEK)


class TimeLimit(Frozen):
    """法定/承诺办结时限: working days unless `calendar_days` (the statute says 日, not 工作日)."""

    statutory_days: int | None = Field(default=None, ge=0)
    promised_days: int | None = Field(default=None, ge=0)
    calendar_days: bool = False  # the figures are calendar days (自然日), not working days
    on_the_spot: bool = False
    note: str | None = None
    varies_by_locality: bool = False
    sources: tuple[Source, ...] = ()  # required when a figure is stated (see `states_figure`)

    def states_figure(self) -> bool:
        """True when the limit says how long (days or on the spot), a fact that needs a source."""
        return self.on_the_spot or self.statutory_days is not None or self.promised_days is not None

    def days(self) -> int:
        """The figure a citizen should plan with, in its own unit: promised, else statutory, else 0."""
        if self.on_the_spot:
            return 0
        for days in (self.promised_days, self.statutory_days):
            if days is not None:
                return days
        return 0

    def working_days(self) -> int:
        """`days()` in working days; calendar days are converted conservatively (rounded up)."""
        return calendar_to_working_days(self.days()) if self.calendar_days else self.days()

    def approximate(self) -> bool:
        """True when `working_days()` is converted from calendar days rather than stated."""
        return self.calendar_days and self.days() > 0


class ApplicantDeadline(Frozen):
    """A deadline the applicant must meet (申报/办理期限), e.g. 出生登记 within one month of birth."""

    text: Text  # what must be done by when, in Chinese
    days: int | None = Field(default=None, ge=0)
    calendar_days: bool = False  # `days` are calendar days (自然日), not working days
    sources: tuple[Source, ...] = ()


class Fee(Dated):
    name: Text
    free: bool = False
    amount_yuan: float | None = Field(default=None, ge=0)
    rule: str | None = None  # e.g. a tax rate described in words
    payer: str | None = None
    varies_by_locality: bool = False
    sources: tuple[Source, ...] = ()


class Channels(Frozen):
    online: str | None = None  # online entry (platform / app / URL)
    offline: str | None = None  # window / hall
    appointment: bool = False
    in_person: str | None = None  # who must appear in person, in words
    mail_delivery: bool = False


class Item(Dated):
    """A single government item (单项事), from the shared catalogue `knowledge/items/*.yaml`."""

    id: Slug
    name: Text
    code: str | None = None  # 事项编码 where known
    department: Text  # the office in words, as citizens read it
    department_code: Slug  # the catalogue department (`knowledge/departments`) whose task this is
    form_fields: tuple[Slug, ...] = ()  # fields of the 一表 catalogue this item needs
    legal_basis: tuple[Source, ...] = ()
    conditions: tuple[Text, ...] = ()  # 受理条件
    materials: tuple[MaterialUse, ...] = ()
    time_limit: TimeLimit = TimeLimit()
    applicant_deadline: ApplicantDeadline | None = None
    fees: tuple[Fee, ...] = ()
    result: str | None = None  # 办理结果: certificate, licence, record …
    channels: Channels = Channels()
    requires: tuple[Slug, ...] = ()  # items that must be done before this one
    notes: tuple[Note, ...] = ()
    sources: tuple[Source, ...] = ()


# --- bundles ---------------------------------------------------------------------------------


class BundleKind(StrEnum):
    enterprise = "enterprise"
    individual = "individual"


class BundleItem(Frozen):
    item: Slug
    optional: bool = False
    selected_by_default: bool = True
    phrases: tuple[Text, ...] = ()  # how citizens name this item when choosing optional items ("婚检")


class MaterialChange(Frozen):
    """A material added to (or dropped from) one item, or every chosen item when `item` is None."""

    material: Slug
    item: Slug | None = None
    form: MaterialForm = MaterialForm.original
    copies: int = Field(default=1, ge=1)
    required: bool = True  # False: bring it in case it is asked for (备查), say when in `note`
    note: str | None = None


class Range(Frozen):
    """A span of one quantity of `knowledge/dialogue.yaml` (面积, 持有年限 …): `min` <= value < `below`."""

    quantity: Slug
    min: float | None = None
    below: float | None = None

    def holds(self, value: float) -> bool:
        return (self.min is None or value >= self.min) and (self.below is None or value < self.below)


class Polarity(StrEnum):
    yes = "yes"
    no = "no"


class Option(Dated):
    """One answer to a situation question and what it changes."""

    id: Slug
    label: Text
    synonyms: tuple[Text, ...] = ()  # free-text phrasings that pick this option
    polarity: Polarity | None = None  # the option a bare 是/对 (yes) or 不/没有 (no) picks
    range: Range | None = None  # a stated number in this range picks this option
    both_parties: bool = False  # its synonyms count only with a word for both (都, 双方, 我们俩)
    # Picked when one message names all these options (贷款 + 补贴 -> both); it may name itself beside
    # another (离过婚 + 头一回 -> remarriage: one side remarrying makes the couple's a remarriage).
    all_of: tuple[Slug, ...] = ()
    add_items: tuple[Slug, ...] = ()
    drop_items: tuple[Slug, ...] = ()
    add_materials: tuple[MaterialChange, ...] = ()
    drop_materials: tuple[MaterialChange, ...] = ()
    notes: tuple[Note, ...] = ()


class Condition(Frozen):
    """Ask a question only when an earlier one was answered with one of `options`."""

    question: Slug
    options: tuple[Slug, ...]


class OptionGroup(Frozen):
    """Words that narrow a question to some of its options ("首套" → the two first-home options)."""

    options: tuple[Slug, ...] = Field(min_length=1)
    synonyms: tuple[Text, ...] = ()
    range: Range | None = None
    ask: Text | None = None  # the question to ask once narrowed to these options ("先还清还是带押过户?")
    # The option taken (and shown, correctable) once narrowed to these options and no further: the usual
    # case among them ("还有贷款" → 先还清再过户; "腿脚不好来不了" → 委托境内的人代办).
    assume: Slug | None = None


class Question(Dated):
    """A situation question (情形): asked only when its answer changes what is needed."""

    id: Slug
    text: Text
    options: tuple[Option, ...] = Field(min_length=2)
    ask_if: tuple[Condition, ...] = ()  # all must hold
    help: str | None = None
    # Words that say a clause is about this question; with a yes and a no option, a mention picks yes,
    # a negated mention no ("婚检就不做了").
    topics: tuple[Text, ...] = ()
    groups: tuple[OptionGroup, ...] = ()
    # The option taken, and said, when the citizen has not told otherwise: never asked, always correctable.
    assume: Slug | None = None
    unsure: Slug | None = None  # the option "不清楚" picks; without one, 不清楚 leaves the question open
    # What is told for a question asked only for some of this question's options (`ask_if`) narrows it to
    # those: the buyer's loan told, the side is the buyer's or both (买卖双方 when the seller's is told too).
    told_by_dependents: bool = False
    # Asked as its item in the multi-select of optional items even though its options change materials.
    ask_with_items: bool = False


class Bundle(Dated):
    """One 一件事 (`knowledge/bundles/<slug>.yaml`)."""

    slug: Slug
    name: Text
    kind: BundleKind
    life_stage: Text
    summary: Text
    lead_department: Text
    items: tuple[BundleItem, ...] = Field(min_length=1)
    # Groups of items the law requires to be done together: choose all of a group or none.
    required_together: tuple[tuple[Slug, ...], ...] = ()
    questions: tuple[Question, ...] = ()
    notes: tuple[Note, ...] = ()
    faq: tuple[FaqEntry, ...] = ()
    channels: Channels = Channels()
    sources: tuple[Source, ...] = Field(min_length=1)


class FaqEntry(Dated):
    """A follow-up a citizen commonly asks, answered from the knowledge."""

    question: Text
    answer: Text
    keywords: tuple[Text, ...] = ()


# --- vocabulary ------------------------------------------------------------------------------


class Lexicon(Frozen):
    """How people talk about one bundle (`knowledge/lexicon/<slug>.yaml`), for the matcher.

    Written by the team from how citizens speak; never copied from an evaluation set.
    """

    slug: Slug
    keywords: tuple[Text, ...] = Field(min_length=1)  # distinctive terms: one is strong evidence
    phrases: tuple[Text, ...] = ()  # colloquial example utterances
    synonyms: dict[str, str] = {}  # colloquial or misspelt term -> canonical term
    exclude: tuple[Text, ...] = ()  # terms that point away from this bundle


class GlobalLexicon(Frozen):
    """`knowledge/lexicon/_global.yaml`: vocabulary that belongs to no bundle."""

    out_of_scope: tuple[Text, ...] = ()  # single items and topics we do not bundle (护照, 离婚 …)
    fillers: tuple[Text, ...] = ()  # politeness and filler words stripped before matching
    synonyms: dict[str, str] = {}  # normalisations shared by all bundles


# --- statutory retirement age ------------------------------------------------------------------

YearMonth = Annotated[str, StringConstraints(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]


class RetirementTrack(Frozen):
    """One row group of the reform's tables: who it covers and how their age moves."""

    id: Slug
    label: Text  # 男职工, 原法定退休年龄为50周岁的女职工 …
    sex: str = Field(pattern=r"^(male|female)$")
    original_age_months: int = Field(gt=0)  # 60 years = 720
    first_delayed_birth: YearMonth  # first birth month whose age is delayed
    birth_months_per_step: int = Field(gt=0)  # every this many birth months add one month
    max_delay_months: int = Field(gt=0)  # the cap: the final age is original + this
    table: Text  # which attached table this is, for citing
    terms: tuple[Text, ...] = ()  # how people name this track in conversation


class MinimumContribution(Frozen):
    """Minimum contribution for a monthly pension by the year statutory age is reached."""

    base_months: int = Field(gt=0)  # before `first_raised_year`
    first_raised_year: int
    first_raised_months: int = Field(gt=0)
    raise_per_year_months: int = Field(ge=0)
    cap_months: int = Field(gt=0)


class Flexibility(Frozen):
    """弹性退休: how far before and after statutory age one may retire (never below the original age)."""

    max_early_months: int = Field(ge=0)
    max_late_months: int = Field(ge=0)


class BySex(Frozen):
    """One wording for each sex."""

    male: Text
    female: Text


class RetirementWording(Frozen):
    """How people ask about their retirement date, and what the guide asks back.

    Numbers are read after Chinese numerals are turned into digits (七五年六月 -> 75年6月), so the
    patterns here only say what stands around the digits.
    """

    ask: tuple[Text, ...] = Field(min_length=1)  # phrasings that ask when one may retire
    topic: tuple[Text, ...] = Field(min_length=1)  # words of the topic: with birth month and sex, answer
    male_terms: tuple[Text, ...] = Field(min_length=1)
    female_terms: tuple[Text, ...] = Field(min_length=1)
    sex_labels: BySex  # the sex question's option labels (男职工 / 女职工)
    sex_marks: BySex  # when the sex was just asked, the one character that answers it (男 / 女)
    birth_separators: tuple[Text, ...] = Field(min_length=1)  # between birth year and month: 年 . / -
    month_marks: tuple[Text, ...] = Field(min_length=1)  # after a month: 月份, 月
    # A bare birth year, the month still to ask: `{year}` stands for its 2 or 4 digits ("{year}年出生").
    born_in_year: tuple[Text, ...] = Field(min_length=1)
    follow_up_ends: tuple[Text, ...] = ()  # a short message ending so asks "what if": 女工人呢, 那1976年的呢
    ask_sex: Text
    ask_birth: Text
    ask_birth_month: Text  # {year}: the year already told
    ask_track: Text
    track_help: Text


class RetirementRules(Dated):
    """`knowledge/retirement_age.yaml`: the reform's tables as data, with their sources."""

    reform_start: dt.date  # the first day the reform applies (ages reached before keep the old rule)
    tracks: tuple[RetirementTrack, ...] = Field(min_length=1)
    minimum_contribution: MinimumContribution
    flexibility: Flexibility
    wording: RetirementWording
    notes: tuple[Note, ...] = ()
    sources: tuple[Source, ...] = Field(min_length=1)


class Quantity(Frozen):
    """A number citizens state (面积 89平, 持有三年, 2015年买的, 交了五年) and how to recognise it."""

    id: Slug
    units: tuple[Text, ...] = Field(min_length=1)  # words right after the number (平, 平米; 年)
    cues: tuple[Text, ...] = ()  # words shortly before the number that say which quantity it is
    since_cues: tuple[Text, ...] = ()  # after a calendar year ("2015年买的"): the value is years since
    after_cues: tuple[Text, ...] = ()  # words shortly after the number and unit ("三年前买的")


class PlannedWhen(Frozen):
    """Words for when the errand is planned (下个月, 明年): the rules are applied as on that day."""

    words: tuple[Text, ...] = Field(min_length=1)
    months: int = Field(default=0, ge=0)
    years: int = Field(default=0, ge=0)


class FollowUp(Frozen):
    """A follow-up topic (要多久, 要钱吗 …) and the words that ask it."""

    topic: Slug
    words: tuple[Text, ...] = Field(min_length=1)


class DialogueReplies(Frozen):
    """The guide's own sentences (`replies` in `knowledge/dialogue.yaml`); `{name}`, `{term}` filled in."""

    reset: Text
    clarify_one: Text  # {name}
    clarify_many: Text
    clarify_two: Text = "{first} / {second}"  # {first}, {second}: a message that named two errands at once
    fallback: Text
    out_of_scope: Text  # {term}
    operator: Text
    items: Text
    others: Text  # how `understood_items` names "every other optional item"
    all_optional: Text  # … and the whole choice


class ChecklistTexts(Frozen):
    """The checklist's own words (`checklist_texts` in `knowledge/dialogue.yaml`)."""

    skip_shared_data: Text  # why a material can stay at home: departments fetch it by data sharing
    skip_e_license: Text  # … an electronic licence replaces it
    skip_joint_office: Text  # … the joint office shares it between departments
    working_days: Text  # the unit 工作日
    calendar_days: Text  # the unit 自然日
    # The total is approximate: {calendar} calendar days were counted as {working} working days.
    approximate_total: Text

    def unit(self, calendar_days: bool) -> str:
        """The unit of a limit's or deadline's days."""
        return self.calendar_days if calendar_days else self.working_days

    @classmethod
    def missing(cls) -> ChecklistTexts:
        """Stand-ins when the file lacks them (partial knowledge: the check has reported it)."""
        return cls.model_validate(dict.fromkeys(cls.model_fields, "-"))


class FollowUpTexts(Frozen):
    """How follow-ups are answered from the checklist (`follow_up_texts` in `knowledge/dialogue.yaml`).

    Each template's `{placeholders}` are the ones `FOLLOW_UP_PLACEHOLDERS` lists for it (checked).
    """

    forms: dict[str, Text]  # material form (`MaterialForm`, and "mixed") -> 原件, 复印件 …
    separator: Text  # between names: 、
    line_separator: Text  # between lines: ;
    end: Text  # after the last line: 。
    on_the_spot: Text
    working_days: Text  # {days}
    time_unknown: Text
    time_line: Text  # {name} {days}
    time_total: Text  # {days}
    time_quick: Text
    time_varies: Text
    all_free: Text
    free: Text
    local: Text
    fee_line: Text  # {name} {rule}
    place_joint: Text  # {place}
    place_lines: Text  # {lines}
    place_line: Text  # {name} {places}
    online_entry: Text  # {entry}
    online_none: Text
    online_items: Text  # {lines}
    online_line: Text  # {name} {channel}
    in_person_unknown: Text
    in_person_line: Text  # {name} {who}
    materials: Text  # {names}
    can_skip: Text
    copies_lines: Text  # {lines}
    copies_line: Text  # {name} {form}
    copies_count: Text  # {copies}
    material_line: Text  # {name} {form} {copies} {skip} {users}
    material_skip: Text
    material_users: Text  # {items}
    item_missing: Text
    item_line: Text  # {name} {department} {days} {order}
    item_requires: Text  # {items}
    item_direct: Text


FOLLOW_UP_PLACEHOLDERS: dict[str, frozenset[str]] = {
    "working_days": frozenset({"days"}),
    "time_line": frozenset({"name", "days"}),
    "time_total": frozenset({"days"}),
    "fee_line": frozenset({"name", "rule"}),
    "place_joint": frozenset({"place"}),
    "place_lines": frozenset({"lines"}),
    "place_line": frozenset({"name", "places"}),
    "online_entry": frozenset({"entry"}),
    "online_items": frozenset({"lines"}),
    "online_line": frozenset({"name", "channel"}),
    "in_person_line": frozenset({"name", "who"}),
    "materials": frozenset({"names"}),
    "copies_lines": frozenset({"lines"}),
    "copies_line": frozenset({"name", "form"}),
    "copies_count": frozenset({"copies"}),
    "material_line": frozenset({"name", "form", "copies", "skip", "users"}),
    "material_users": frozenset({"items"}),
    "item_line": frozenset({"name", "department", "days", "order"}),
    "item_requires": frozenset({"items"}),
}


class DialogueWords(Frozen):
    """`knowledge/dialogue.yaml`: how citizens answer, negate, close and correct, for every bundle."""

    negations: tuple[Text, ...] = Field(min_length=1)  # 不是, 没有, 不用, 暂不, 别 …
    negation_reach: int = Field(default=6, ge=0)  # characters a negation reaches forward in its clause
    negation_after_reach: int = Field(default=3, ge=0)  # … or back: "婚检就不做了"
    negation_stops: tuple[Text, ...] = ()  # a forward negation reaches no further: 还没到就在家里生
    # A clause that is only one of these (and a particle) says no to the clause before ("…先问问,暂时不办").
    declines: tuple[Text, ...] = ()
    question_forms: tuple[Text, ...] = ()  # 要不要, 是不是: a clause with one states nothing
    question_ends: tuple[Text, ...] = ()  # 吗: a term right before one is asked about, not stated
    question_end_reach: int = Field(default=2, ge=0)
    clause_breaks: tuple[Text, ...] = ()  # besides punctuation: 但是, 不过 …
    unbroken: tuple[Text, ...] = ()  # words that begin with a clause break but are none: 不过户, 还有贷款
    unsure: tuple[Text, ...] = ()  # 不清楚, 不知道
    yes: tuple[Text, ...] = ()  # a bare 是的/对/嗯 to the pending question
    no: tuple[Text, ...] = ()  # a bare 没有/不用/算了
    yes_no_leads: tuple[
        Text, ...
    ] = ()  # may come before a bare yes/no: 暂时 (唔使), 那就 (不用了), 应该 (是)
    both: tuple[Text, ...] = ()  # 都, 双方, 我们俩
    closing: tuple[Text, ...] = ()  # 其他都不需要: every opt-in not named is not wanted
    everything: tuple[Text, ...] = ()  # 都要, 全部: every opt-in offered is wanted
    only: tuple[Text, ...] = ()  # 只: the named opt-ins and nothing else
    corrections: tuple[Text, ...] = ()  # 不对, 说错了: what follows replaces what was understood
    new_errand: tuple[Text, ...] = ()  # 还想办, 要办啥: a message that asks about an errand
    reset: tuple[Text, ...] = ()
    fillers: tuple[Text, ...] = ()  # stripped from a short follow-up before comparing it with names
    numerals: dict[str, float] = {}  # 一 → 1, 十 → 10, 万 → 10000 …
    approximately: str = ""  # each character an "about" (多 in 三十多年, 几 in 十几年): a third of the unit
    lone_digits: dict[str, Text] = {}  # a digit standing alone read as a word: 1 → 一 (第1套 = 第一套)
    less_than: tuple[Text, ...] = ()  # 不满, 不到 right before a number: just under it
    more_than: tuple[Text, ...] = ()  # 超过: just over it
    year_marker: Text = "年"  # after a calendar year ("2015年买的")
    relative_years: dict[str, int] = {}  # 去年 → 1, 前年 → 2: years ago, for since-cues ("去年买的")
    planned: tuple[PlannedWhen, ...] = ()  # 下个月领证, 明年三月退休: the day the rules are applied on
    month_marker: Text = "月"  # after a month number ("明年三月")
    quantities: tuple[Quantity, ...] = ()
    follow_ups: tuple[FollowUp, ...] = ()
    replies: DialogueReplies | None = None  # required in the file; None only in partial knowledge
    follow_up_texts: FollowUpTexts | None = None  # required in the file; None only in partial knowledge
    checklist_texts: ChecklistTexts | None = None  # required in the file; None only in partial knowledge


class Review(Frozen):
    """One review of the content: when, by whom, against what (statute texts, official guides …)."""

    date: dt.date
    by: Text
    against: Text
    scope: Text = "全部内容"


class Meta(Frozen):
    """`knowledge/meta.yaml`: the release of the knowledge as a whole."""

    version: Text
    reviewed_on: dt.date  # the latest review, which `reviews` lists first
    reviewed_by: Text
    reviews: tuple[Review, ...] = Field(min_length=1)
    region: Text = "全国通用(地方差异在数据中注明)"

    @model_validator(mode="after")
    def _latest_first(self) -> Meta:
        if self.reviews[0].date != self.reviewed_on:
            raise ValueError("reviewed_on must be the date of the first (latest) entry of reviews")
        return self


Bundle.model_rebuild()


# --- departments, form fields, holidays --------------------------------------------------------


class DepartmentLevel(StrEnum):
    national = "national"
    provincial = "provincial"
    municipal = "municipal"
    county = "county"
    township = "township"
    enterprise = "enterprise"  # a public-service enterprise or bank, not a level of government


class DepartmentKind(StrEnum):
    government = "government"
    public_institution = "public_institution"  # 事业单位 and people's organisations (公积金中心, 残联)
    enterprise = "enterprise"  # water, power, gas, telecoms, banks


class Department(Frozen):
    """One entry of `knowledge/departments/*.yaml`: what a task carries and a department key names."""

    code: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,63}$")]
    name: Text
    level: DepartmentLevel
    kind: DepartmentKind = DepartmentKind.government
    note: str | None = None  # which office exactly, where that varies by locality


class FieldType(StrEnum):
    text = "text"
    id_number = "id_number"
    phone = "phone"
    date = "date"
    choice = "choice"
    address = "address"
    number = "number"
    boolean = "boolean"


class Prefill(StrEnum):
    profile = "profile"  # the citizen's account (name, ID number, phone)
    previous_application = "previous_application"  # what the citizen entered last time
    shared_data = "shared_data"  # fetched by departments from a shared source (`FormField.shared_data`)


class Choice(Frozen):
    id: Slug
    label: Text


class RequiredIf(Frozen):
    """A field that becomes required when another field of the form has a given value."""

    field: Slug
    equals: str


class FormField(Frozen):
    """One field of the shared 一表 catalogue (`knowledge/form_fields/*.yaml`)."""

    name: Slug
    label: Text
    type: FieldType
    required: bool = True
    required_if: RequiredIf | None = None
    help: str | None = None
    max_length: int | None = Field(default=None, ge=1, le=5000)
    pattern: str | None = None  # text only: the whole value must match
    pattern_message: str | None = None  # said to the citizen when `pattern` does not match
    minimum: float | None = None  # number only
    maximum: float | None = None
    integer: bool = False  # number only: whole numbers
    date_range: str = Field(default="any", pattern=r"^(any|past|future)$")  # past: not after today
    choices: tuple[Choice, ...] = ()
    prefill: tuple[Prefill, ...] = ()
    profile_key: str | None = Field(default=None, pattern=r"^(name|id_number|phone)$")
    shared_data: str | None = None  # the shared source, in words, when `prefill` has shared_data
    personal: bool = False  # masked wherever the application is shown outside its owner

    @model_validator(mode="after")
    def _consistent(self) -> FormField:
        if (self.type == FieldType.choice) != bool(self.choices):
            raise ValueError("choices are required for type choice and only for it")
        if self.pattern is not None and self.type != FieldType.text:
            raise ValueError("pattern applies to type text only")
        if (self.minimum is not None or self.maximum is not None or self.integer) and (
            self.type != FieldType.number
        ):
            raise ValueError("minimum, maximum and integer apply to type number only")
        if self.minimum is not None and self.maximum is not None and self.maximum < self.minimum:
            raise ValueError("maximum is below minimum")
        if (Prefill.profile in self.prefill) != (self.profile_key is not None):
            raise ValueError("prefill from profile needs profile_key, and profile_key needs that prefill")
        if (Prefill.shared_data in self.prefill) != (self.shared_data is not None):
            raise ValueError("prefill from shared_data needs shared_data naming the source, and vice versa")
        if len({c.id for c in self.choices}) != len(self.choices):
            raise ValueError("duplicate choice id")
        return self


class HolidayPeriod(Frozen):
    """One festival of a notice: days off (inclusive range) and the weekend days worked instead."""

    name: Text
    days_off: tuple[dt.date, dt.date]
    workdays: tuple[dt.date, ...] = ()

    @model_validator(mode="after")
    def _ordered(self) -> HolidayPeriod:
        first, last = self.days_off
        if last < first:
            raise ValueError("days_off: the last day is before the first")
        for day in self.workdays:
            if day.weekday() < 5:
                raise ValueError(f"workdays: {day} is a weekday already, not a weekend day worked instead")
            if first <= day <= last:
                raise ValueError(f"workdays: {day} lies inside the days off")
        return self


class HolidayNotice(Frozen):
    """`knowledge/holidays/<year>.yaml`: one year's 部分节假日安排 from the State Council."""

    year: int = Field(ge=2000, le=2100)
    notice: Source  # the notice itself: kind state_council, its publication date
    periods: tuple[HolidayPeriod, ...] = Field(min_length=1)


class StatutoryHolidayRow(Frozen):
    """One festival of the national rule: a solar or lunar month and day, or a solar term's name."""

    name: Text
    calendar: Literal["solar", "lunar", "solar_term"]
    month: int | None = Field(default=None, ge=1, le=12)
    day: int | None = Field(default=None, ge=1, le=31)
    term: Text | None = None
    first_offset: int = Field(default=0, ge=-3, le=3)
    days: int = Field(ge=1, le=7)

    @model_validator(mode="after")
    def _one_kind_of_date(self) -> StatutoryHolidayRow:
        if (self.calendar == "solar_term") != (self.term is not None):
            raise ValueError("a solar_term festival names its term, and only it")
        if (self.calendar != "solar_term") != (self.month is not None and self.day is not None):
            raise ValueError("a solar or lunar festival needs month and day, a solar_term one neither")
        return self


class HolidayRule(Frozen):
    """`knowledge/holiday_rule.yaml`: 全国年节及纪念日放假办法's days off, for years without a notice yet."""

    source: Source
    estimate_years: int = Field(ge=0, le=3)
    holidays: tuple[StatutoryHolidayRow, ...] = Field(min_length=1)
