from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0048_card_ref_10")]

    operations = [
        migrations.RenameField(
            model_name="board", old_name="summary_3_v2", new_name="summary_3_v3"
        ),
    ]
