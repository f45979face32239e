from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0081_alter_card_summary_8_v2")]

    operations = [
        migrations.AddField(
            model_name="board", name="priority_17", field=models.IntegerField(null=True, blank=True)
        ),
    ]
