from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0036_rename_board_ref_5")]

    operations = [
        migrations.AlterField(
            model_name="card", name="title_v2", field=models.CharField(max_length=344)
        ),
    ]
