from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0039_rename_card_summary_8")]

    operations = [
        migrations.AddIndex(
            model_name="board", index=models.Index(fields=["name_v3"], name="synth_board_40_idx")
        ),
    ]
