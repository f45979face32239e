from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0083_alter_board_status_11")]

    operations = [
        migrations.RenameField(
            model_name="board", old_name="archived_7_v3", new_name="archived_7_v4"
        ),
    ]
