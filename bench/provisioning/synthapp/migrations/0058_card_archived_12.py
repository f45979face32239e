from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0057_alter_board_status_11")]

    operations = [
        migrations.AddField(
            model_name="card", name="archived_12", field=models.BooleanField(default=False)
        ),
    ]
