from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0066_rename_card_pinned_4_v2")]

    operations = [
        migrations.AlterField(
            model_name="card",
            name="summary_8_v2",
            field=models.CharField(max_length=176, blank=True, default=""),
        ),
    ]
