from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0031_alter_board_name_v3")]

    operations = [
        migrations.AddField(
            model_name="board", name="archived_7", field=models.BooleanField(default=False)
        ),
    ]
