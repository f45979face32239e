from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0107_alter_board_status_11_v4")]

    operations = [
        migrations.AddField(
            model_name="card", name="priority_22", field=models.IntegerField(null=True, blank=True)
        ),
    ]
