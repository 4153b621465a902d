"""What a rating or a 投诉建议 may refer to: the citizen's own application or conversation."""

from __future__ import annotations

from typing import Literal

from server.models import Application, Conversation
from server.operators.errors import conflict, not_found

TargetKind = Literal["application", "conversation"]
FINISHED = ("done", "partially_done", "rejected")


async def check_owned(kind: TargetKind, target_id: str, user_id: str, *, finished: bool = False) -> None:
    """The target exists and belongs to the citizen; with `finished`, an application must be finished."""
    if kind == "conversation":
        conversation = await Conversation.get_or_none(id=target_id)
        if conversation is None or conversation.user_id != user_id:
            raise not_found("conversation_not_found", "No conversation of yours with this id.")
        return
    application = await Application.get_or_none(id=target_id)
    if application is None or application.user_id != user_id:
        raise not_found("application_not_found", "No application of yours with this id.")
    if finished and application.status not in FINISHED:
        raise conflict("not_finished", "An application is rated once it is finished.")
