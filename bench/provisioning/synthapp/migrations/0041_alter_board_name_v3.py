from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0040_board_synth_board_40_idx")]

    operations = [
        migrations.AlterField(
            model_name="board", name="name_v3", field=models.CharField(max_length=260)
        ),
    ]
