from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0032_board_archived_7")]

    operations = [
        migrations.AlterField(
            model_name="card", name="title_v2", field=models.CharField(max_length=328)
        ),
    ]
