from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0093_alter_card_summary_8_v2")]

    operations = [
        migrations.RenameField(model_name="card", old_name="weight_14_v2", new_name="weight_14_v3"),
    ]
