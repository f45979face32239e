from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0017_alter_card_title_v2")]

    operations = [
        migrations.AddField(
            model_name="card", name="pinned_4", field=models.BooleanField(default=False)
        ),
    ]
