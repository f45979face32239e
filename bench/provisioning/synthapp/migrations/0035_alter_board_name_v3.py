from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0034_rename_card_priority_6")]

    operations = [
        migrations.AlterField(
            model_name="board", name="name_v3", field=models.CharField(max_length=244)
        ),
    ]
