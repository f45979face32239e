from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0076_rename_board_archived_7_v2")]

    operations = [
        migrations.AlterField(
            model_name="board", name="name_v3", field=models.CharField(max_length=340)
        ),
    ]
