from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0068_card_weight_14")]

    operations = [
        migrations.RenameField(model_name="board", old_name="archived_7", new_name="archived_7_v2"),
    ]
