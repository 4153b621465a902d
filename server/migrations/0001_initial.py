from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Conversation',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('user_id', fields.CharField(null=True, db_index=True, max_length=64)),
                ('bundle', fields.CharField(null=True, max_length=64)),
                ('channel', fields.CharField(default='app', max_length=16)),
                ('status', fields.CharField(default='bot', max_length=16)),
                ('turn_count', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'conversation', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One chat of a citizen with the guide, user_id stays empty for guests until claimed after login.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Turn',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('conversation', fields.ForeignKeyField('models.Conversation', source_field='conversation_id', db_constraint=True, to_field='id', related_name='turns', on_delete=OnDelete.CASCADE)),
                ('seq', fields.IntField()),
                ('text', fields.TextField(unique=False)),
                ('bundle', fields.CharField(null=True, max_length=64)),
                ('confidence', fields.FloatField(null=True)),
                ('reply_type', fields.CharField(max_length=16)),
                ('reply', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('latency_ms', fields.FloatField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'turn', 'app': 'models', 'unique_together': (('conversation', 'seq'),), 'pk_attr': 'id', 'table_description': 'One exchange: what was typed (masked), what the guide recognised and answered, and how fast.'},
            bases=['Model'],
        ),
    ]
