from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0092_board_summary_19")]

    operations = [
        migrations.AlterField(
            model_name="card",
            name="summary_8_v2",
            field=models.CharField(max_length=240, blank=True, default=""),
        ),
    ]
