from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0094_rename_card_weight_14_v2")]

    operations = [
        migrations.AlterField(
            model_name="board", name="name_v3", field=models.CharField(max_length=372)
        ),
    ]
