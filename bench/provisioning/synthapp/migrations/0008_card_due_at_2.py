from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0007_alter_board_name_v2")]

    operations = [
        migrations.AddField(
            model_name="card", name="due_at_2", field=models.DateTimeField(null=True, blank=True)
        ),
    ]
