"""Teaching the guide: label user turns (the NLU-inbox idea), review labels, export them for review.

A label says which bundle a turn should have matched (or none) and which situation answers it implied.
Labels are proposals until a second person, a supervisor, approves them; only approved labels are
exported, as eval-format JSONL and as proposed lexicon additions. Nothing here writes to `knowledge/`:
a person reviews the proposals and edits the files.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import yaml
from tortoise.expressions import Subquery
from tortoise.functions import Coalesce

from server.guide.knowledge import GLOBAL_LEXICON, Knowledge
from server.models import Turn, TurnLabel
from server.operators.errors import conflict, invalid, not_found
from server.operators.review import STRUCTURED_PREFIX, label_json
from server.privacy import mask_text

NOT_TO_LABEL = ("handoff",)  # asking for a human is no errand to teach


async def inbox(*, limit: int, bundle: str | None = None) -> list[dict[str, Any]]:
    """User turns nobody has labelled yet, the least confident first (unrecognised ones before all)."""
    labelled = Subquery(TurnLabel.all().values("turn_id"))
    query = (
        Turn.exclude(id__in=labelled)
        .exclude(text__startswith=STRUCTURED_PREFIX)
        .exclude(reply_type__in=NOT_TO_LABEL)
    )
    if bundle is not None:
        query = query.filter(bundle=bundle if bundle != "none" else None)
    rows = (
        await query.annotate(sure=Coalesce("confidence", -1.0)).order_by("sure", "-created_at").limit(limit)
    )
    return [
        {
            "turn_id": t.id,
            "conversation_id": t.conversation_id,  # type: ignore[attr-defined]
            "seq": t.seq,
            "text": mask_text(t.text),
            "bundle": t.bundle,
            "confidence": t.confidence,
            "reply_type": t.reply_type,
            "created_at": t.created_at.isoformat(),
        }
        for t in rows
    ]


def check_label(knowledge: Knowledge, bundle: str | None, situation: Mapping[str, str]) -> None:
    """The bundle exists and every situation answer is an option of one of its questions."""
    if bundle is None:
        if situation:
            raise invalid("situation_without_bundle", "Situation answers need the bundle they belong to.")
        return
    found = knowledge.bundles.get(bundle)
    if found is None:
        raise invalid("unknown_bundle", f"No bundle {bundle!r}.")
    questions = {q.id: {o.id for o in q.options} for q in found.questions}
    for question_id, option_id in situation.items():
        if question_id not in questions:
            raise invalid("unknown_question", f"Bundle {bundle!r} asks no question {question_id!r}.")
        if option_id not in questions[question_id]:
            raise invalid("unknown_option", f"Question {question_id!r} has no option {option_id!r}.")


async def label_turn(
    knowledge: Knowledge,
    turn_id: int,
    *,
    bundle: str | None,
    situation: Mapping[str, str],
    note: str | None,
    operator_id: str,
) -> dict[str, Any]:
    """Create or replace the label of a user turn; a changed label goes back to proposed."""
    turn = await Turn.get_or_none(id=turn_id)
    if turn is None:
        raise not_found("turn_not_found", "No turn with this id.")
    if turn.text.startswith(STRUCTURED_PREFIX):
        raise invalid("structured_turn", "This turn is a button answer, not something the user typed.")
    check_label(knowledge, bundle, situation)
    fields = {
        "bundle": bundle,
        "situation": dict(situation),
        "note": mask_text(note) if note else None,
        "labelled_by": operator_id,
        "status": "proposed",
        "reviewed_by": None,
        "reviewed_at": None,
    }
    label, created = await TurnLabel.get_or_create(defaults=fields, turn_id=turn_id)
    if not created:
        await label.update_from_dict(fields).save()
    return label_json(label)


async def review_label(label_id: int, *, approve: bool, reviewer_id: str, now: dt.datetime) -> dict[str, Any]:
    """A supervisor approves or rejects a label someone else made (four eyes)."""
    label = await TurnLabel.get_or_none(id=label_id)
    if label is None:
        raise not_found("label_not_found", "No label with this id.")
    if label.labelled_by == reviewer_id:
        raise conflict("own_label", "A label is reviewed by someone other than the person who made it.")
    label.status = "approved" if approve else "rejected"
    label.reviewed_by, label.reviewed_at = reviewer_id, now
    await label.save(update_fields=["status", "reviewed_by", "reviewed_at", "updated_at"])
    return label_json(label)


async def list_labels(*, status: str | None, limit: int, offset: int) -> list[dict[str, Any]]:
    query = TurnLabel.all().select_related("turn")
    if status is not None:
        query = query.filter(status=status)
    rows = await query.order_by("-updated_at", "-id").offset(offset).limit(limit)
    return [
        {**label_json(label), "text": mask_text(label.turn.text), "guide_bundle": label.turn.bundle}
        for label in rows
    ]


async def _approved() -> list[TurnLabel]:
    return await TurnLabel.filter(status="approved").select_related("turn").order_by("id")


async def export_jsonl() -> str:
    """Approved labels, one eval-format line each (`python -m server.guide.eval` reads text and bundle)."""
    lines = [
        json.dumps(
            {
                "text": mask_text(label.turn.text),
                "bundle": label.bundle,
                "situation": label.situation,
                "source": f"turn:{label.turn.id}",
                "guide_bundle": label.turn.bundle,
            },
            ensure_ascii=False,
        )
        for label in await _approved()
    ]
    return "".join(line + "\n" for line in lines)


async def lexicon_proposals(knowledge: Knowledge) -> dict[str, Any]:
    """Approved labels the guide got wrong, as additions a reviewer may copy into `knowledge/lexicon/`.

    A turn that should have matched a bundle becomes one of that bundle's `phrases`; a turn the guide
    took for a bundle though it belongs to none becomes an `out_of_scope` entry of `_global.yaml`.
    Texts the lexicon already holds are left out.
    """
    wanted: dict[str, dict[str, Any]] = {}
    for label in await _approved():
        if label.bundle == label.turn.bundle:
            continue
        text = mask_text(label.turn.text).strip()
        if label.bundle is None:
            target, field = GLOBAL_LEXICON, "out_of_scope"
            known = set(knowledge.global_lexicon.out_of_scope)
        else:
            target, field = label.bundle, "phrases"
            lexicon = knowledge.lexicons.get(label.bundle)
            known = set(lexicon.phrases) | set(lexicon.keywords) if lexicon else set()
        if text in known:
            continue
        entry = wanted.setdefault(
            target, {"file": f"knowledge/lexicon/{target}.yaml", "field": field, "texts": [], "turn_ids": []}
        )
        if text not in entry["texts"]:
            entry["texts"].append(text)
            entry["turn_ids"].append(label.turn.id)
    proposals = [{"lexicon": target, **entry} for target, entry in sorted(wanted.items())]
    review_text = "".join(
        f"# {p['file']} — proposed, not applied; review before copying\n"
        + yaml.safe_dump({p["field"]: p["texts"]}, allow_unicode=True, sort_keys=False)
        + "\n"
        for p in proposals
    )
    return {"proposals": proposals, "yaml": review_text}
