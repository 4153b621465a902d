from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0007_applications')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Device',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('user_id', fields.CharField(db_index=True, max_length=32)),
                ('provider', fields.CharField(max_length=16)),
                ('client_id', fields.CharField(max_length=128)),
                ('platform', fields.CharField(max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_seen_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'push_device', 'app': 'models', 'unique_together': (('provider', 'client_id'),), 'pk_attr': 'id', 'table_description': 'A phone registered for app push, client_id is the push vendor id of the app install.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Notification',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user_id', fields.CharField(max_length=32)),
                ('seq', fields.BigIntField()),
                ('category', fields.CharField(max_length=32)),
                ('application_id', fields.CharField(null=True, db_index=True, max_length=64)),
                ('title', fields.CharField(max_length=128)),
                ('body', fields.TextField(unique=False)),
                ('data', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('dedup_key', fields.CharField(null=True, unique=True, max_length=128)),
                ('read_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'notification', 'app': 'models', 'unique_together': (('user_id', 'seq'),), 'pk_attr': 'id', 'table_description': 'One message of a citizen inbox, seq orders one citizen notifications as they were committed.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Delivery',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('notification', fields.ForeignKeyField('models.Notification', source_field='notification_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('user_id', fields.CharField(db_index=True, max_length=32)),
                ('channel', fields.CharField(max_length=16)),
                ('target', fields.CharField(null=True, max_length=128)),
                ('idempotency_key', fields.CharField(unique=True, max_length=32)),
                ('status', fields.CharField(default='pending', max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('due_ms', fields.BigIntField()),
                ('lease_until_ms', fields.BigIntField(default=0)),
                ('claim', fields.CharField(null=True, max_length=32)),
                ('error_code', fields.CharField(null=True, max_length=64)),
                ('error', fields.TextField(null=True, unique=False)),
                ('vendor_ref', fields.CharField(null=True, max_length=128)),
                ('sent_ms', fields.BigIntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'push_delivery', 'app': 'models', 'indexes': [Index(fields=['status', 'due_ms']), Index(fields=['status', 'lease_until_ms'])], 'pk_attr': 'id', 'table_description': 'One send of a notification on one channel and target, the outbox row a dispatcher claims.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PushPreference',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user_id', fields.CharField(db_index=True, max_length=32)),
                ('category', fields.CharField(max_length=32)),
                ('channel', fields.CharField(max_length=16)),
                ('enabled', fields.BooleanField(default=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'push_preference', 'app': 'models', 'unique_together': (('user_id', 'category', 'channel'),), 'pk_attr': 'id', 'table_description': 'A citizen choice to receive or not one category on one channel, absent means on.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PushUserState',
            fields=[
                ('user_id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('last_seq', fields.BigIntField(default=0)),
            ],
            options={'table': 'push_user_state', 'app': 'models', 'pk_attr': 'user_id', 'table_description': 'Per citizen counter, bumped inside the transaction of each notification so seq follows commit order.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WeChatSubscription',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user_id', fields.CharField(db_index=True, max_length=32)),
                ('template_id', fields.CharField(max_length=128)),
                ('kind', fields.CharField(max_length=16)),
                ('credits', fields.IntField(default=0)),
                ('accepted', fields.BooleanField(default=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'wechat_subscription', 'app': 'models', 'unique_together': (('user_id', 'template_id'),), 'pk_attr': 'id', 'table_description': 'What a citizen accepted for one subscribe message template, one time credits or a long term consent.'},
            bases=['Model'],
        ),
    ]
