from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0105_alter_card_summary_8_v2")]

    operations = [
        migrations.RenameField(model_name="card", old_name="due_at_18", new_name="due_at_18_v2"),
    ]
