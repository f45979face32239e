from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0056_rename_board_summary_3_v3")]

    operations = [
        migrations.AlterField(
            model_name="board",
            name="status_11",
            field=models.CharField(max_length=80, blank=True, default=""),
        ),
    ]
