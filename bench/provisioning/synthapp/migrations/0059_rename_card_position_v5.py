from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0058_card_archived_12")]

    operations = [
        migrations.RenameField(model_name="card", old_name="position_v5", new_name="position_v6"),
    ]
