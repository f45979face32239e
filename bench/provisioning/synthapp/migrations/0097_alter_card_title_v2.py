from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0096_rename_board_status_11_v2")]

    operations = [
        migrations.AlterField(
            model_name="card", name="title_v2", field=models.CharField(max_length=376)
        ),
    ]
