from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0054_rename_card_position_v4")]

    operations = [
        migrations.AlterField(
            model_name="card",
            name="summary_8_v2",
            field=models.CharField(max_length=128, blank=True, default=""),
        ),
    ]
