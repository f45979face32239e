from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0042_board_weight_9")]

    operations = [
        migrations.AlterField(
            model_name="card",
            name="summary_8_v2",
            field=models.CharField(max_length=80, blank=True, default=""),
        ),
    ]
