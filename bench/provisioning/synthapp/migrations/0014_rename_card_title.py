from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0013_alter_card_title")]

    operations = [
        migrations.RenameField(model_name="card", old_name="title", new_name="title_v2"),
    ]
