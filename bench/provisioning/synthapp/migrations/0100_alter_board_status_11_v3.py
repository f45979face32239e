from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0099_rename_card_weight_14_v3")]

    operations = [
        migrations.AlterField(
            model_name="board",
            name="status_11_v3",
            field=models.CharField(max_length=128, blank=True, default=""),
        ),
    ]
