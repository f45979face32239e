from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0088_card_due_at_18")]

    operations = [
        migrations.RenameField(model_name="board", old_name="status_11", new_name="status_11_v2"),
    ]
