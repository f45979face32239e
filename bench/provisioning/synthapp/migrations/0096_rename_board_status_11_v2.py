from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0095_alter_board_name_v3")]

    operations = [
        migrations.RenameField(
            model_name="board", old_name="status_11_v2", new_name="status_11_v3"
        ),
    ]
