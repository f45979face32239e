from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0080_card_synth_card_80_idx")]

    operations = [
        migrations.AlterField(
            model_name="card",
            name="summary_8_v2",
            field=models.CharField(max_length=224, blank=True, default=""),
        ),
    ]
