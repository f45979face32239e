from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0082_board_priority_17")]

    operations = [
        migrations.AlterField(
            model_name="board",
            name="status_11",
            field=models.CharField(max_length=112, blank=True, default=""),
        ),
    ]
