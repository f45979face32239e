from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0009_rename_board_priority_1")]

    operations = [
        migrations.AlterField(
            model_name="card", name="title", field=models.CharField(max_length=232)
        ),
    ]
