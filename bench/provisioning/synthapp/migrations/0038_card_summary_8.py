from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0037_alter_card_title_v2")]

    operations = [
        migrations.AddField(
            model_name="card",
            name="summary_8",
            field=models.CharField(max_length=64, blank=True, default=""),
        ),
    ]
