from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0075_alter_card_summary_8_v2")]

    operations = [
        migrations.RenameField(
            model_name="board", old_name="archived_7_v2", new_name="archived_7_v3"
        ),
    ]
