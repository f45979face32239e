from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0021_alter_card_title_v2")]

    operations = [
        migrations.AddField(
            model_name="board", name="ref_5", field=models.DateTimeField(null=True, blank=True)
        ),
    ]
