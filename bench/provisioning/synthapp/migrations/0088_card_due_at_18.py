from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0087_alter_board_summary_3_v5")]

    operations = [
        migrations.AddField(
            model_name="card", name="due_at_18", field=models.DateTimeField(null=True, blank=True)
        ),
    ]
