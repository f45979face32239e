from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0019_rename_card_position_v2")]

    operations = [
        migrations.AlterField(
            model_name="board", name="name_v3", field=models.CharField(max_length=180)
        ),
    ]
