from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0065_alter_board_name_v3")]

    operations = [
        migrations.RenameField(model_name="card", old_name="pinned_4_v2", new_name="pinned_4_v3"),
    ]
