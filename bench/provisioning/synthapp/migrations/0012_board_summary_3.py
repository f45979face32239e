from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0011_alter_board_name_v2")]

    operations = [
        migrations.AddField(
            model_name="board",
            name="summary_3",
            field=models.CharField(max_length=64, blank=True, default=""),
        ),
    ]
