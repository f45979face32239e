from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0008_card_due_at_2")]

    operations = [
        migrations.RenameField(model_name="board", old_name="priority_1", new_name="priority_1_v2"),
    ]
