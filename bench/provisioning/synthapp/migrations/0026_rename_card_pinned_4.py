from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0025_alter_card_title_v2")]

    operations = [
        migrations.RenameField(model_name="card", old_name="pinned_4", new_name="pinned_4_v2"),
    ]
