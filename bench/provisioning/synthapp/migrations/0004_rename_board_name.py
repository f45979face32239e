from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0003_alter_board_name")]

    operations = [
        migrations.RenameField(model_name="board", old_name="name", new_name="name_v2"),
    ]
