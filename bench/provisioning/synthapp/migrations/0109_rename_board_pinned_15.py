from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0108_card_priority_22")]

    operations = [
        migrations.RenameField(model_name="board", old_name="pinned_15", new_name="pinned_15_v2"),
    ]
