from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0035_alter_board_name_v3")]

    operations = [
        migrations.RenameField(model_name="board", old_name="ref_5", new_name="ref_5_v2"),
    ]
