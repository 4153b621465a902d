"""Citizens: found or created by WeChat openid or phone; profile with encrypted, masked personal data."""

from __future__ import annotations

import uuid

from tortoise.exceptions import IntegrityError

from server.auth.crypto import DataProtector
from server.auth.identity import normalize_id_number, normalize_phone
from server.conversations import ConversationStore
from server.errors import ApiError
from server.models import Conversation, User
from server.privacy import mask_id_number, mask_phone
from server.vendors.wechat import WeChatIdentity

MAX_CLAIM = 50


def _phone_taken() -> ApiError:
    return ApiError(409, "phone_taken", "This phone number belongs to another account.")


def _id_number_taken() -> ApiError:
    return ApiError(409, "id_number_taken", "This ID number is bound to another account.")


class Users:
    """Citizen accounts; phone and ID number go through `protector` both ways."""

    def __init__(self, protector: DataProtector) -> None:
        self.protector = protector

    def phone_hash(self, phone: str) -> str:
        return self.protector.lookup_hash(phone, "user.phone")

    async def _find_or_create(self, lookup: dict, create: dict) -> User:
        """Two first logins racing on one identity both end with the same row (unique constraint)."""
        user = await User.get_or_none(**lookup)
        if user is not None:
            return user
        try:
            return await User.create(id=uuid.uuid4().hex, **lookup, **create)
        except IntegrityError:
            return await User.get(**lookup)

    async def from_wechat(self, identity: WeChatIdentity) -> User:
        user = await self._find_or_create({"openid": identity.openid}, {"unionid": identity.unionid})
        if identity.unionid and user.unionid != identity.unionid:
            user.unionid = identity.unionid
            await user.save(update_fields=["unionid", "updated_at"])
        return user

    async def from_phone(self, phone: str) -> User:
        encrypted = self.protector.encrypt(phone, "user.phone")
        return await self._find_or_create(
            {"phone_hash": self.phone_hash(phone)}, {"phone_encrypted": encrypted}
        )

    async def get(self, user_id: str) -> User:
        user = await User.get_or_none(id=user_id)
        if user is None:
            raise ApiError(401, "invalid_token", "The account behind this token no longer exists.")
        return user

    def personal_values(self, user: User) -> dict[str, str | None]:
        """Name, ID number and phone in clear, for prefilling the citizen's own forms only."""
        decrypt = self.protector.decrypt
        return {
            "name": user.name,
            "id_number": decrypt(user.id_number_encrypted, "user.id_number")
            if user.id_number_encrypted
            else None,
            "phone": decrypt(user.phone_encrypted, "user.phone") if user.phone_encrypted else None,
        }

    def profile(self, user: User) -> dict:
        """The profile as shown anywhere: ID and phone numbers masked."""
        phone = self.protector.decrypt(user.phone_encrypted, "user.phone") if user.phone_encrypted else None
        id_number = (
            self.protector.decrypt(user.id_number_encrypted, "user.id_number")
            if user.id_number_encrypted
            else None
        )
        return {
            "id": user.id,
            "name": user.name,
            "phone": mask_phone(phone) if phone else None,
            "id_number": mask_id_number(id_number) if id_number else None,
            "wechat_linked": user.openid is not None,
        }

    async def update_profile(
        self, user: User, *, name: str | None, id_number: str | None, verified_phone: str | None
    ) -> User:
        """Set the given fields; the phone must already be proven by an SMS code (`verified_phone`)."""
        fields = ["updated_at"]
        if name is not None:
            user.name = name.strip() or None
            fields.append("name")
        if id_number is not None:
            canonical = normalize_id_number(id_number)
            if canonical is None:
                raise ApiError(422, "invalid_id_number", "The ID number is not a valid 18-digit resident ID.")
            id_hash = self.protector.lookup_hash(canonical, "user.id_number")
            if await User.filter(id_number_hash=id_hash).exclude(id=user.id).exists():
                raise _id_number_taken()
            user.id_number_encrypted = self.protector.encrypt(canonical, "user.id_number")
            user.id_number_hash = id_hash
            fields += ["id_number_encrypted", "id_number_hash"]
        if verified_phone is not None:
            taken = await User.filter(phone_hash=self.phone_hash(verified_phone)).exclude(id=user.id).exists()
            if taken:
                raise _phone_taken()
            user.phone_encrypted = self.protector.encrypt(verified_phone, "user.phone")
            user.phone_hash = self.phone_hash(verified_phone)
            fields += ["phone_encrypted", "phone_hash"]
        try:
            await user.save(update_fields=fields)
        except IntegrityError as exc:  # a concurrent binding won the unique index: say which number
            taken = (
                "id_number_hash" in fields
                and await User.filter(id_number_hash=user.id_number_hash).exclude(id=user.id).exists()
            )
            raise (_id_number_taken() if taken else _phone_taken()) from exc
        return user


def parse_phone(value: str) -> str:
    """The canonical phone number, or 422."""
    phone = normalize_phone(value)
    if phone is None:
        raise ApiError(422, "invalid_phone", "Not a mainland China mobile number.")
    return phone


async def claim_conversations(
    store: ConversationStore, user_id: str, conversation_ids: list[str]
) -> list[str]:
    """Attach guest conversations (live state and stored rows) to `user_id`; others' are left alone.

    Returns the ids the user now owns; a conversation owned by someone else is indistinguishable
    from one that does not exist.
    """
    claimed = []
    for conversation_id in list(dict.fromkeys(conversation_ids))[:MAX_CLAIM]:
        record = await store.load(conversation_id)
        row = await Conversation.get_or_none(id=conversation_id)
        owners = {record.owner if record else None, row.user_id if row else None} - {None}
        if (record is None and row is None) or owners - {user_id}:
            continue
        if record is not None and record.owner is None:
            record.owner = user_id
            await store.save(record)
        if row is not None and row.user_id is None:
            await Conversation.filter(id=conversation_id, user_id__isnull=True).update(user_id=user_id)
        claimed.append(conversation_id)
    return claimed
