from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0026_rename_card_pinned_4")]

    operations = [
        migrations.AlterField(
            model_name="board", name="name_v3", field=models.CharField(max_length=212)
        ),
    ]
