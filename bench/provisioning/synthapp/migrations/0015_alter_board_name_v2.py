from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0014_rename_card_title")]

    operations = [
        migrations.AlterField(
            model_name="board", name="name_v2", field=models.CharField(max_length=164)
        ),
    ]
