from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0091_alter_board_name_v3")]

    operations = [
        migrations.AddField(
            model_name="board",
            name="summary_19",
            field=models.CharField(max_length=64, blank=True, default=""),
        ),
    ]
