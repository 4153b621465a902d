"""Casefolded operator usernames and one account per ID number.

Rows written before this migration may break both rules. Usernames are casefolded; where two
differ only by case the oldest keeps the name and each later one gets `-2`, `-3`, ... (a warning
names them). An ID number bound to several accounts stays on the oldest; the later ones lose the
binding (their holders enter it again and are answered 409). Both are logged, then the unique
index is created.
"""

import logging
import unicodedata

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

log = logging.getLogger("server.migrations")


def _canonical(username: str) -> str:
    return unicodedata.normalize("NFKC", username).casefold()


async def casefold_usernames(apps, schema_editor) -> None:
    operator = apps.get_model("models", "Operator")
    rows = await operator.all().order_by("created_at", "id")
    taken: set[str] = set()
    renames: dict[str, str] = {}
    for row in rows:
        name = base = _canonical(row.username)
        suffix = 1
        while name in taken:
            suffix += 1
            name = f"{base}-{suffix}"
        taken.add(name)
        if name != row.username:
            renames[row.id] = name
            if name != base:
                log.warning("operator %s renamed %r -> %r: the name differed only by case", row.id, row.username, name)
    # Through a temporary name each, so no rename collides with a row not renamed yet.
    for operator_id in renames:
        await operator.filter(id=operator_id).update(username=f"~{operator_id}")
    for operator_id, name in renames.items():
        await operator.filter(id=operator_id).update(username=name)


async def unbind_repeated_id_numbers(apps, schema_editor) -> None:
    user = apps.get_model("models", "User")
    seen: set[str] = set()
    for row in await user.filter(id_number_hash__isnull=False).order_by("created_at", "id"):
        if row.id_number_hash in seen:
            log.warning("user %s: ID number also bound to an older account; binding removed", row.id)
            await user.filter(id=row.id).update(id_number_hash=None, id_number_encrypted=None)
        seen.add(row.id_number_hash)


class Migration(migrations.Migration):
    dependencies = [('models', '0008_push')]

    initial = False

    operations = [
        ops.RunPython(casefold_usernames, ops.RunPython.noop),
        ops.RunPython(unbind_repeated_id_numbers, ops.RunPython.noop),
        ops.AlterModelOptions(
            name='Operator',
            options={'table': 'operator', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A console account, username casefolded, role operator or supervisor, password as an argon2id hash.'},
        ),
        ops.AlterField(
            model_name='User',
            name='id_number_hash',
            field=fields.CharField(null=True, unique=True, max_length=64),
        ),
    ]
