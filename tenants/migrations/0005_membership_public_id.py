import uuid

from django.db import migrations, models


def give_each_a_public_id(apps, schema_editor):
    Membership = apps.get_model("tenants", "Membership")
    for membership in Membership.objects.filter(public_id__isnull=True).iterator():
        membership.public_id = uuid.uuid4()
        membership.save(update_fields=["public_id"])


class Migration(migrations.Migration):
    dependencies = [("tenants", "0004_task_records")]

    operations = [
        # Added nullable, filled, then made unique: existing rows each get their own id.
        migrations.AddField(
            model_name="membership",
            name="public_id",
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.RunPython(give_each_a_public_id, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="membership",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
