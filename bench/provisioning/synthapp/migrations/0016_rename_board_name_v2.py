from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0015_alter_board_name_v2")]

    operations = [
        migrations.RenameField(model_name="board", old_name="name_v2", new_name="name_v3"),
    ]
