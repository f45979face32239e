from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0028_card_priority_6")]

    operations = [
        migrations.RenameField(model_name="board", old_name="summary_3", new_name="summary_3_v2"),
    ]
