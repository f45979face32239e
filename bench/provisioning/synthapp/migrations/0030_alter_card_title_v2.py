from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0029_rename_board_summary_3")]

    operations = [
        migrations.AlterField(
            model_name="card", name="title_v2", field=models.CharField(max_length=312)
        ),
    ]
