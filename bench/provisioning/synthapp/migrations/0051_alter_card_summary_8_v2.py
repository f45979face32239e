from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0050_alter_board_name_v3")]

    operations = [
        migrations.AlterField(
            model_name="card",
            name="summary_8_v2",
            field=models.CharField(max_length=112, blank=True, default=""),
        ),
    ]
