from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0004_rename_board_name")]

    operations = [
        migrations.AlterField(
            model_name="card", name="title", field=models.CharField(max_length=216)
        ),
    ]
