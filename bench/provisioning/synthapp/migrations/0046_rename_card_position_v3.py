from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0045_alter_board_name_v3")]

    operations = [
        migrations.RenameField(model_name="card", old_name="position_v3", new_name="position_v4"),
    ]
