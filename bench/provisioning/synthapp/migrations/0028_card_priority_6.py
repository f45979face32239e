from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0027_alter_board_name_v3")]

    operations = [
        migrations.AddField(
            model_name="card", name="priority_6", field=models.IntegerField(null=True, blank=True)
        ),
    ]
