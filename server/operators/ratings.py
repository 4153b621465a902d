"""好差评: a citizen rates a finished application or a conversation once, 1 to 5, with tags (the
national bad-rating reasons among them) and a comment; a bad rating opens a follow-up case in the same
transaction, so no bad rating is ever left without one."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from server.models import Rating
from server.operators.cases import Calendar, open_case
from server.operators.deadlines import CaseDeadlines
from server.operators.errors import conflict, invalid
from server.operators.targets import TargetKind, check_owned
from server.operators.texts import OperatorsKnowledge
from server.privacy import mask_text


def rating_options(texts: OperatorsKnowledge) -> dict[str, Any]:
    """The scale and the tags a client offers, bad-rating reasons marked."""
    ratings = texts.config.ratings
    return {
        "levels": [
            {"score": score, "name": name} for score, name in sorted(ratings.levels.items(), reverse=True)
        ],
        "bad_at_most": ratings.bad_at_most,
        "tags": [tag.model_dump() for tag in ratings.tags],
        "source": ratings.source,
    }


def _check_tags(texts: OperatorsKnowledge, score: int, tags: Sequence[str]) -> None:
    bad = texts.is_bad(score)
    for tag_id in tags:
        tag = texts.tag(tag_id)
        if tag is None:
            raise invalid("unknown_tag", f"No rating tag {tag_id!r}.")
        if tag.bad != bad:
            raise invalid(
                "tag_mismatch", f"Tag {tag_id!r} belongs to {'bad' if tag.bad else 'good'} ratings."
            )


async def rate(
    texts: OperatorsKnowledge,
    *,
    user_id: str,
    target_kind: TargetKind,
    target_id: str,
    score: int,
    tags: Sequence[str],
    comment: str,
    now: dt.datetime,
    today: dt.date,
    calendar: Calendar,
    deadlines: CaseDeadlines,
) -> tuple[Rating, str | None]:
    """Store the rating (once per target) and, for a bad one, its follow-up case; (rating, case id)."""
    if not 1 <= score <= 5:
        raise invalid("invalid_score", "score is 1 (非常不满意) to 5 (非常满意).")
    _check_tags(texts, score, tags)
    await check_owned(target_kind, target_id, user_id, finished=True)
    try:
        async with in_transaction() as connection:
            rating = await Rating.create(
                id=uuid.uuid4().hex,
                user_id=user_id,
                target_kind=target_kind,
                target_id=target_id,
                score=score,
                tags=list(dict.fromkeys(tags)),
                comment=mask_text(comment),
                created_at=now,
                using_db=connection,
            )
            case_id = None
            if texts.is_bad(score):
                case = await open_case(
                    "rating_followup",
                    user_id=user_id,
                    text=mask_text(comment),
                    reference=(target_kind, target_id),
                    rating=rating,
                    now=now,
                    today=today,
                    calendar=calendar,
                    deadlines=deadlines,
                    connection=connection,
                )
                case_id = case.id
    except IntegrityError as exc:
        raise conflict("already_rated", "This has been rated; a rating is given once.") from exc
    return rating, case_id
