from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0006_operators')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Application',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('receipt_no', fields.CharField(unique=True, max_length=32)),
                ('query_code_hash', fields.CharField(max_length=64)),
                ('query_code_encrypted', fields.TextField(unique=False)),
                ('user_id', fields.CharField(db_index=True, max_length=32)),
                ('conversation_id', fields.CharField(null=True, max_length=64)),
                ('bundle', fields.CharField(max_length=64)),
                ('items', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharField(default='submitted', db_index=True, max_length=32)),
                ('form_encrypted', fields.TextField(unique=False)),
                ('materials', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('knowledge_version', fields.CharField(max_length=64)),
                ('version', fields.IntField(default=1)),
                ('submitted_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('withdrawn_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'application', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One application of a citizen for the chosen items of a bundle, form values stored encrypted.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DepartmentEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('department', fields.CharField(max_length=64)),
                ('event_id', fields.CharField(max_length=128)),
                ('task_id', fields.CharField(db_index=True, max_length=32)),
                ('status', fields.CharField(max_length=32)),
                ('occurred_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('outcome', fields.CharField(max_length=16)),
                ('detail', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'department_event', 'app': 'models', 'unique_together': (('department', 'event_id'),), 'pk_attr': 'id', 'table_description': 'Every event a department system sent, applied or not, unique per department and event id.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Task',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('application', fields.ForeignKeyField('models.Application', source_field='application_id', db_constraint=True, to_field='id', related_name='tasks', on_delete=OnDelete.CASCADE)),
                ('item', fields.CharField(max_length=64)),
                ('item_name', fields.CharField(max_length=200)),
                ('department', fields.CharField(db_index=True, max_length=64)),
                ('status', fields.CharField(db_index=True, max_length=32)),
                ('requires', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('time_limit_days', fields.IntField(null=True)),
                ('accepted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('due_on', fields.DateField(null=True, db_index=True)),
                ('correction', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('correction_since', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('result', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('reason', fields.TextField(null=True, unique=False)),
                ('last_event_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('version', fields.IntField(default=1)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'application_task', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The part of an application one department works on, moved by signed department events.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TimelineEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('application', fields.ForeignKeyField('models.Application', source_field='application_id', db_constraint=True, to_field='id', related_name='timeline', on_delete=OnDelete.CASCADE)),
                ('task_id', fields.CharField(null=True, max_length=32)),
                ('kind', fields.CharField(max_length=32)),
                ('actor_kind', fields.CharField(max_length=16)),
                ('actor_id', fields.CharField(max_length=64)),
                ('detail', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('version', fields.IntField()),
                ('occurred_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'application_timeline', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One change of an application as its citizen sees it, who did what and when and why.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Upload',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('user_id', fields.CharField(db_index=True, max_length=32)),
                ('material', fields.CharField(max_length=64)),
                ('sha256', fields.CharField(db_index=True, max_length=64)),
                ('size', fields.IntField()),
                ('content_type', fields.CharField(max_length=64)),
                ('width', fields.IntField(null=True)),
                ('height', fields.IntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'upload', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A material file a citizen uploaded, stored once by content hash, readable only by its owner.'},
            bases=['Model'],
        ),
    ]
