from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0038_card_summary_8")]

    operations = [
        migrations.RenameField(model_name="card", old_name="summary_8", new_name="summary_8_v2"),
    ]
