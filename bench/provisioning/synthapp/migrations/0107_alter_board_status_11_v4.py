from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0106_rename_card_due_at_18")]

    operations = [
        migrations.AlterField(
            model_name="board",
            name="status_11_v4",
            field=models.CharField(max_length=144, blank=True, default=""),
        ),
    ]
