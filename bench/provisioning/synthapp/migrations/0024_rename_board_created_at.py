from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0023_alter_board_name_v3")]

    operations = [
        migrations.RenameField(model_name="board", old_name="created_at", new_name="created_at_v2"),
    ]
