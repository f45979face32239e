from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0005_alter_card_title")]

    operations = [
        migrations.RenameField(model_name="card", old_name="position", new_name="position_v2"),
    ]
