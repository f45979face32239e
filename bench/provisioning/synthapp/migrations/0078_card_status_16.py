from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0077_alter_board_name_v3")]

    operations = [
        migrations.AddField(
            model_name="card",
            name="status_16",
            field=models.CharField(max_length=64, blank=True, default=""),
        ),
    ]
