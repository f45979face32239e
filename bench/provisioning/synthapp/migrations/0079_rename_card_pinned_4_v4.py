from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0078_card_status_16")]

    operations = [
        migrations.RenameField(model_name="card", old_name="pinned_4_v4", new_name="pinned_4_v5"),
    ]
