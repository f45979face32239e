from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0060_alter_card_summary_8_v2")]

    operations = [
        migrations.AlterField(
            model_name="board",
            name="summary_3_v4",
            field=models.CharField(max_length=80, blank=True, default=""),
        ),
    ]
