from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0020_alter_board_name_v3")]

    operations = [
        migrations.AlterField(
            model_name="card", name="title_v2", field=models.CharField(max_length=280)
        ),
    ]
