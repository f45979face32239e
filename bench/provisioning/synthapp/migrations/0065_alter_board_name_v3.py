from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0064_rename_board_summary_3_v4")]

    operations = [
        migrations.AlterField(
            model_name="board", name="name_v3", field=models.CharField(max_length=324)
        ),
    ]
