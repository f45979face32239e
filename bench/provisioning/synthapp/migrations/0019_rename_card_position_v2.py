from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0018_card_pinned_4")]

    operations = [
        migrations.RenameField(model_name="card", old_name="position_v2", new_name="position_v3"),
    ]
