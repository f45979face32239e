from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0002_board_priority_1")]

    operations = [
        migrations.AlterField(
            model_name="board", name="name", field=models.CharField(max_length=116)
        ),
    ]
