from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0073_alter_board_summary_3_v5")]

    operations = [
        migrations.RenameField(model_name="card", old_name="pinned_4_v3", new_name="pinned_4_v4"),
    ]
