from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0089_rename_board_status_11")]

    operations = [
        migrations.AlterField(
            model_name="card",
            name="status_16",
            field=models.CharField(max_length=80, blank=True, default=""),
        ),
    ]
