from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0024_rename_board_created_at")]

    operations = [
        migrations.AlterField(
            model_name="card", name="title_v2", field=models.CharField(max_length=296)
        ),
    ]
