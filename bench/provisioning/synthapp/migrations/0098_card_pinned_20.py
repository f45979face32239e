from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0097_alter_card_title_v2")]

    operations = [
        migrations.AddField(
            model_name="card", name="pinned_20", field=models.BooleanField(default=False)
        ),
    ]
