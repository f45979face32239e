from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0084_rename_board_archived_7_v3")]

    operations = [
        migrations.AlterField(
            model_name="card", name="title_v2", field=models.CharField(max_length=360)
        ),
    ]
