from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="board", name="priority_1", field=models.IntegerField(null=True, blank=True)
        ),
    ]
