from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0074_rename_card_pinned_4_v3")]

    operations = [
        migrations.AlterField(
            model_name="card",
            name="summary_8_v2",
            field=models.CharField(max_length=208, blank=True, default=""),
        ),
    ]
