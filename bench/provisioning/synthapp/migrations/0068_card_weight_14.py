from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0067_alter_card_summary_8_v2")]

    operations = [
        migrations.AddField(
            model_name="card", name="weight_14", field=models.IntegerField(null=True, blank=True)
        ),
    ]
