from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0033_alter_card_title_v2")]

    operations = [
        migrations.RenameField(model_name="card", old_name="priority_6", new_name="priority_6_v2"),
    ]
