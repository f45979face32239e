from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0101_alter_card_status_16")]

    operations = [
        migrations.AddField(
            model_name="board", name="ref_21", field=models.DateTimeField(null=True, blank=True)
        ),
    ]
