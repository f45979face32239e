from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0085_alter_card_title_v2")]

    operations = [
        migrations.RenameField(model_name="card", old_name="weight_14", new_name="weight_14_v2"),
    ]
