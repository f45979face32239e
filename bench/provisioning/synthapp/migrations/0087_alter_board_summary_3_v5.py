from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0086_rename_card_weight_14")]

    operations = [
        migrations.AlterField(
            model_name="board",
            name="summary_3_v5",
            field=models.CharField(max_length=112, blank=True, default=""),
        ),
    ]
