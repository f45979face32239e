from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0072_board_pinned_15")]

    operations = [
        migrations.AlterField(
            model_name="board",
            name="summary_3_v5",
            field=models.CharField(max_length=96, blank=True, default=""),
        ),
    ]
