from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0062_board_due_at_13")]

    operations = [
        migrations.AlterField(
            model_name="card",
            name="summary_8_v2",
            field=models.CharField(max_length=160, blank=True, default=""),
        ),
    ]
