from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('actor_kind', fields.CharField(max_length=16)),
                ('actor_id', fields.CharField(db_index=True, max_length=40)),
                ('action', fields.CharField(max_length=128)),
                ('conversation_id', fields.CharField(null=True, db_index=True, max_length=32)),
                ('application_id', fields.CharField(null=True, db_index=True, max_length=64)),
                ('detail', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('ip', fields.CharField(null=True, max_length=64)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'audit_entry', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Who did what and when, naming the conversation or application concerned, detail masked.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DepartmentKey',
            fields=[
                ('key_id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('secret_encrypted', fields.TextField(unique=False)),
                ('department', fields.CharField(db_index=True, max_length=64)),
                ('active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'department_key', 'app': 'models', 'pk_attr': 'key_id', 'table_description': 'An API key of a department system, its HMAC secret stored encrypted, scoped to one department.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Operator',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('username', fields.CharField(unique=True, max_length=64)),
                ('password_hash', fields.CharField(max_length=255)),
                ('role', fields.CharField(default='operator', max_length=16)),
                ('active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'operator', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A console account, role operator or supervisor, password as an argon2id hash.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RefreshToken',
            fields=[
                ('jti', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('family', fields.CharField(db_index=True, max_length=32)),
                ('subject_kind', fields.CharField(max_length=16)),
                ('subject_id', fields.CharField(db_index=True, max_length=32)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'refresh_token', 'app': 'models', 'pk_attr': 'jti', 'table_description': 'One issued refresh token, single use, all tokens of a login share a family revoked together.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='User',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('openid', fields.CharField(null=True, unique=True, max_length=64)),
                ('unionid', fields.CharField(null=True, db_index=True, max_length=64)),
                ('phone_encrypted', fields.TextField(null=True, unique=False)),
                ('phone_hash', fields.CharField(null=True, unique=True, max_length=64)),
                ('name', fields.CharField(null=True, max_length=64)),
                ('id_number_encrypted', fields.TextField(null=True, unique=False)),
                ('id_number_hash', fields.CharField(null=True, db_index=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'app_user', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A citizen, phone and ID number stored encrypted with keyed hashes for lookup.'},
            bases=['Model'],
        ),
    ]
