from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("synthapp", "0079_rename_card_pinned_4_v4")]

    operations = [
        migrations.AddIndex(
            model_name="card", index=models.Index(fields=["position_v6"], name="synth_card_80_idx")
        ),
    ]
