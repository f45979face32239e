from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0061_alter_board_summary_3_v4")]

    operations = [
        migrations.AddField(
            model_name="board", name="due_at_13", field=models.DateTimeField(null=True, blank=True)
        ),
    ]
