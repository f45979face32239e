from __future__ import annotations

from typing import Any, cast

from django import forms

from tenant_apps.audit.models import AuditAction, AuditEntry


class AuditFilterForm(forms.Form):
    person = forms.ChoiceField(required=False, label="Person")
    action = forms.ChoiceField(
        required=False, label="Action", choices=[("", "Any action"), *AuditAction.choices]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = (
            AuditEntry.objects.exclude(actor_label="")
            .order_by("actor_label")
            .values_list("actor_label", flat=True)
            .distinct()
        )
        person = cast(forms.ChoiceField, self.fields["person"])  # declared above
        person.choices = [("", "Anyone"), *((p, p) for p in people)]
