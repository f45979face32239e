from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0071_alter_card_summary_8_v2")]

    operations = [
        migrations.AddField(
            model_name="board", name="pinned_15", field=models.BooleanField(default=False)
        ),
    ]
