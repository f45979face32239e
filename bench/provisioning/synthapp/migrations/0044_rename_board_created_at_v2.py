from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0043_alter_card_summary_8_v2")]

    operations = [
        migrations.RenameField(
            model_name="board", old_name="created_at_v2", new_name="created_at_v3"
        ),
    ]
