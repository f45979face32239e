from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0100_alter_board_status_11_v3")]

    operations = [
        migrations.AlterField(
            model_name="card",
            name="status_16",
            field=models.CharField(max_length=96, blank=True, default=""),
        ),
    ]
