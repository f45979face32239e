from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0041_alter_board_name_v3")]

    operations = [
        migrations.AddField(
            model_name="board", name="weight_9", field=models.IntegerField(null=True, blank=True)
        ),
    ]
