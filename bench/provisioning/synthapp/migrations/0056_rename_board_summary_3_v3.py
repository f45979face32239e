from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0055_alter_card_summary_8_v2")]

    operations = [
        migrations.RenameField(
            model_name="board", old_name="summary_3_v3", new_name="summary_3_v4"
        ),
    ]
