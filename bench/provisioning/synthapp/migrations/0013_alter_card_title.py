from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0012_board_summary_3")]

    operations = [
        migrations.AlterField(
            model_name="card", name="title", field=models.CharField(max_length=248)
        ),
    ]
