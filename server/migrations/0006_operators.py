from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_accounts')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Handoff',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('conversation_id', fields.CharField(db_index=True, max_length=32)),
                ('user_id', fields.CharField(null=True, db_index=True, max_length=64)),
                ('reason', fields.CharField(max_length=16)),
                ('status', fields.CharField(db_index=True, max_length=16)),
                ('operator_id', fields.CharField(null=True, db_index=True, max_length=32)),
                ('requested_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('claimed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('first_reply_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('polite_sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('ended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'handoff', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A citizen asking for a human: queued, held by one operator, then handed back or closed.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='HandoffMessage',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('handoff', fields.ForeignKeyField('models.Handoff', source_field='handoff_id', db_constraint=True, to_field='id', related_name='messages', on_delete=OnDelete.CASCADE)),
                ('conversation_id', fields.CharField(db_index=True, max_length=32)),
                ('sender', fields.CharField(max_length=16)),
                ('operator_id', fields.CharField(null=True, max_length=32)),
                ('text', fields.TextField(unique=False)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'handoff_message', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One message of a takeover chat from the citizen, the operator or the system, text masked.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OperatorPresence',
            fields=[
                ('operator_id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('accepting', fields.BooleanField(default=True)),
                ('last_assigned_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'operator_presence', 'app': 'models', 'pk_attr': 'operator_id', 'table_description': 'When an operator last had the console open and was last given a conversation, for round robin.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Rating',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('user_id', fields.CharField(db_index=True, max_length=64)),
                ('target_kind', fields.CharField(max_length=16)),
                ('target_id', fields.CharField(max_length=64)),
                ('score', fields.SmallIntField()),
                ('tags', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('comment', fields.TextField(default='', unique=False)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'rating', 'app': 'models', 'unique_together': (('target_kind', 'target_id'),), 'pk_attr': 'id', 'table_description': 'One rating of a finished application or a conversation by a citizen, 1 to 5, once per target.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Case',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('kind', fields.CharField(db_index=True, max_length=16)),
                ('user_id', fields.CharField(db_index=True, max_length=64)),
                ('rating', fields.ForeignKeyField('models.Rating', source_field='rating_id', null=True, db_constraint=True, to_field='id', related_name='cases', on_delete=OnDelete.CASCADE)),
                ('reference_kind', fields.CharField(null=True, max_length=16)),
                ('reference_id', fields.CharField(null=True, max_length=64)),
                ('text', fields.TextField(default='', unique=False)),
                ('status', fields.CharField(default='open', db_index=True, max_length=16)),
                ('due_on', fields.DateField(db_index=True)),
                ('answer', fields.TextField(null=True, unique=False)),
                ('action', fields.CharField(null=True, max_length=16)),
                ('answered_by', fields.CharField(null=True, max_length=32)),
                ('answered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'service_case', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A follow-up of a bad rating or a 投诉建议 that must be answered within working days.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TurnLabel',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('turn', fields.OneToOneField('models.Turn', source_field='turn_id', db_constraint=True, to_field='id', related_name='label', on_delete=OnDelete.CASCADE)),
                ('bundle', fields.CharField(null=True, max_length=64)),
                ('situation', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('note', fields.CharField(null=True, max_length=500)),
                ('labelled_by', fields.CharField(max_length=32)),
                ('status', fields.CharField(default='proposed', db_index=True, max_length=16)),
                ('reviewed_by', fields.CharField(null=True, max_length=32)),
                ('reviewed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'turn_label', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The bundle a user turn should have matched, or none, and the situation answers it implied.'},
            bases=['Model'],
        ),
    ]
