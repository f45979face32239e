from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0098_card_pinned_20")]

    operations = [
        migrations.RenameField(model_name="card", old_name="weight_14_v3", new_name="weight_14_v4"),
    ]
