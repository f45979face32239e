from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0070_alter_board_status_11")]

    operations = [
        migrations.AlterField(
            model_name="card",
            name="summary_8_v2",
            field=models.CharField(max_length=192, blank=True, default=""),
        ),
    ]
