from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0069_rename_board_archived_7")]

    operations = [
        migrations.AlterField(
            model_name="board",
            name="status_11",
            field=models.CharField(max_length=96, blank=True, default=""),
        ),
    ]
