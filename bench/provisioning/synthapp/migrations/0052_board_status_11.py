from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0051_alter_card_summary_8_v2")]

    operations = [
        migrations.AddField(
            model_name="board",
            name="status_11",
            field=models.CharField(max_length=64, blank=True, default=""),
        ),
    ]
