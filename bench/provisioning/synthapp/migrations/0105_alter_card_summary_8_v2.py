from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0104_rename_board_status_11_v3")]

    operations = [
        migrations.AlterField(
            model_name="card",
            name="summary_8_v2",
            field=models.CharField(max_length=256, blank=True, default=""),
        ),
    ]
