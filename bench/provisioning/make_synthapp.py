"""Write bench/provisioning/synthapp: a tenant app whose long migration history makes a schema's
recorded migrations about four times Strata's own, while its final schema stays small.

Its history is the kind a real app accumulates: two models, then a steady trickle of added
fields, widened columns, renames and the odd index. The generated files are committed; run
this again (then `ruff format bench/provisioning/synthapp`) only to change the history.

    uv run --frozen python bench/provisioning/make_synthapp.py
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

APP = Path(__file__).with_name("synthapp")
LABEL = "synthapp"
# Migrations after 0001_initial: with Strata's 37 (at the time of writing) this records
# 37 + 1 + 110 = 148 migrations in a tenant schema, 4.0x.
LATER_MIGRATIONS = 110
# The operation each later migration holds, in turn.
CYCLE = ("add", "alter", "rename", "alter", "rename", "alter", "add", "rename", "alter", "alter")
# Indexes are the costly part of a schema to create (PostgreSQL 15 syncs each new index file to
# disk), so the history adds only two, here, in place of the operation CYCLE would give.
INDEX_AT = frozenset({40, 80})
ADDED_TYPES = (
    ("CharField", {"max_length": "64", "blank": "True", "default": '""'}),
    ("IntegerField", {"null": "True", "blank": "True"}),
    ("BooleanField", {"default": "False"}),
    ("DateTimeField", {"null": "True", "blank": "True"}),
)
ADDED_WORDS = ("status", "priority", "archived", "due_at", "summary", "weight", "pinned", "ref")


@dataclass
class Field:
    kind: str
    options: dict[str, str]

    def code(self) -> str:
        options = ", ".join(f"{key}={value}" for key, value in self.options.items())
        return f"models.{self.kind}({options})"


@dataclass
class Model:
    name: str
    fields: dict[str, Field]
    indexes: list[tuple[str, str]] = field(default_factory=list)  # (index name, field name)

    @property
    def key(self) -> str:
        return self.name.lower()

    def plain_fields(self) -> list[str]:
        """Fields an operation may touch: not the key, not a foreign key, not indexed."""
        indexed = {name for _index, name in self.indexes}
        return [
            name
            for name, spec in self.fields.items()
            if name != "id" and spec.kind != "ForeignKey" and name not in indexed
        ]


def _id() -> Field:
    return Field(
        "BigAutoField",
        {
            "auto_created": "True",
            "primary_key": "True",
            "serialize": "False",
            "verbose_name": '"ID"',
        },
    )


def _fk(to: str) -> Field:
    return Field("ForeignKey", {"on_delete": "models.CASCADE", "to": f'"{LABEL}.{to}"'})


def initial_models() -> list[Model]:
    return [
        Model(
            "Board",
            {
                "id": _id(),
                "name": Field("CharField", {"max_length": "100"}),
                "created_at": Field("DateTimeField", {"auto_now_add": "True"}),
            },
        ),
        Model(
            "Card",
            {
                "id": _id(),
                "board": _fk("board"),
                "title": Field("CharField", {"max_length": "200"}),
                "position": Field("IntegerField", {"default": "0"}),
            },
        ),
    ]


def _base(name: str) -> tuple[str, int]:
    stem, _, version = name.rpartition("_v")
    return (stem, int(version)) if stem and version.isdigit() else (name, 1)


class History:
    def __init__(self) -> None:
        self.models = initial_models()
        self.added = 0
        self.turns = dict.fromkeys([*CYCLE, "index"], 0)

    def step(self, number: int) -> tuple[str, str]:
        """The next migration's (name suffix, operation code)."""
        kind = "index" if number in INDEX_AT else CYCLE[(number - 2) % len(CYCLE)]
        turn = self.turns[kind]
        self.turns[kind] += 1
        model = self.models[turn % len(self.models)]
        if kind == "add":
            self.added += 1
            # Shifted each time round the models, so that no model gets only one type.
            shift = self.added + self.added // len(self.models)
            type_name, options = ADDED_TYPES[shift % len(ADDED_TYPES)]
            name = f"{ADDED_WORDS[shift % len(ADDED_WORDS)]}_{self.added}"
            model.fields[name] = Field(type_name, dict(options))
            return f"{model.key}_{name}", (
                f'migrations.AddField(model_name="{model.key}", name="{name}", '
                f"field={model.fields[name].code()})"
            )
        if kind == "alter":
            chars = [n for n, spec in model.fields.items() if spec.kind == "CharField"]
            name = chars[turn % len(chars)]
            spec = model.fields[name]
            spec.options["max_length"] = str(int(spec.options["max_length"]) + 16)
            return f"alter_{model.key}_{name}", (
                f'migrations.AlterField(model_name="{model.key}", name="{name}", '
                f"field={spec.code()})"
            )
        if kind == "rename":
            candidates = model.plain_fields()
            old = candidates[turn % len(candidates)]
            stem, version = _base(old)
            new = f"{stem}_v{version + 1}"
            model.fields = {(new if n == old else n): spec for n, spec in model.fields.items()}
            return f"rename_{model.key}_{old}", (
                f'migrations.RenameField(model_name="{model.key}", old_name="{old}", '
                f'new_name="{new}")'
            )
        candidates = model.plain_fields()
        name = candidates[turn % len(candidates)]
        index = f"synth_{model.key[:5]}_{number}_idx"
        model.indexes.append((index, name))
        return f"{model.key}_{index}", (
            f'migrations.AddIndex(model_name="{model.key}", '
            f'index=models.Index(fields=["{name}"], name="{index}"))'
        )


MIGRATION = """from django.db import {imports}


class Migration(migrations.Migration):
{initial}    dependencies = [{dependencies}]

    operations = [
        {operations},
    ]
"""


def initial_operations(models_: list[Model]) -> str:
    creates = []
    for model in models_:
        fields = ", ".join(f'("{name}", {spec.code()})' for name, spec in model.fields.items())
        creates.append(f'migrations.CreateModel(name="{model.name}", fields=[{fields}])')
    return ",\n        ".join(creates)


MODELS_HEADER = '''"""The synthetic tenant app's models as its migrations leave them (generated by
bench/provisioning/make_synthapp.py)."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
'''


def models_source(models_: list[Model]) -> str:
    out = [MODELS_HEADER]
    for model in models_:
        out.append(f"\n\nclass {model.name}(models.Model):")
        for name, spec in model.fields.items():
            if name != "id":
                out.append(f"    {name} = {spec.code()}")
        out.append("")
        out.append(
            "    # Declared because the type checker's Django settings do not install this app."
        )
        out.append(f"    objects: ClassVar[models.Manager[{model.name}]] = models.Manager()")
        if model.indexes:
            out.append("")
            out.append("    class Meta:")
            indexes = ", ".join(
                f'models.Index(fields=["{name}"], name="{index}")' for index, name in model.indexes
            )
            out.append(f"        indexes = [{indexes}]")
        out.append("")
        out.append("    def __str__(self) -> str:")
        out.append(f'        return f"{model.name} {{self.pk}}"')
    return "\n".join(out) + "\n"


def main() -> None:
    shutil.rmtree(APP / "migrations", ignore_errors=True)
    (APP / "migrations").mkdir(parents=True)
    (APP / "migrations" / "__init__.py").write_text("")
    (APP / "__init__.py").write_text(
        '"""A synthetic tenant app with a long migration history (bench only)."""\n'
    )
    history = History()
    (APP / "migrations" / "0001_initial.py").write_text(
        MIGRATION.format(
            imports="migrations, models",
            initial="    initial = True\n\n",
            dependencies="",
            operations=initial_operations(history.models),
        )
    )
    previous = "0001_initial"
    for number in range(2, LATER_MIGRATIONS + 2):
        suffix, operation = history.step(number)
        name = f"{number:04d}_{suffix}"[:60]
        (APP / "migrations" / f"{name}.py").write_text(
            MIGRATION.format(
                imports="migrations, models" if "models." in operation else "migrations",
                initial="",
                dependencies=f'("{LABEL}", "{previous}")',
                operations=operation,
            )
        )
        previous = name
    (APP / "models.py").write_text(models_source(history.models))
    print(f"wrote {LATER_MIGRATIONS + 1} migrations and models.py into {APP}")


if __name__ == "__main__":
    main()
