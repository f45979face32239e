from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0047_alter_card_summary_8_v2")]

    operations = [
        migrations.AddField(
            model_name="card", name="ref_10", field=models.DateTimeField(null=True, blank=True)
        ),
    ]
