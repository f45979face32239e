from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0059_rename_card_position_v5")]

    operations = [
        migrations.AlterField(
            model_name="card",
            name="summary_8_v2",
            field=models.CharField(max_length=144, blank=True, default=""),
        ),
    ]
