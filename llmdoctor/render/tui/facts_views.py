"""Machine, model and plan tabs: read-only tables of the report's facts."""
from __future__ import annotations

from textual.containers import VerticalScroll
from textual.widgets import Static

from llmdoctor.render.machine_text import facts_table, gpu_table
from llmdoctor.render.tables import model_table, plan_table


class MachineView(VerticalScroll):
    def __init__(self, machine, **kwargs):
        super().__init__(**kwargs)
        self.machine = machine

    def compose(self):
        yield Static(gpu_table(self.machine) if self.machine.gpus else "No GPU found.")
        yield Static(facts_table(self.machine))


class ModelView(VerticalScroll):
    def __init__(self, model, **kwargs):
        super().__init__(**kwargs)
        self.model = model

    def compose(self):
        yield Static(model_table(self.model))


class PlanView(VerticalScroll):
    def __init__(self, plan, **kwargs):
        super().__init__(**kwargs)
        self.plan = plan

    def compose(self):
        yield Static(plan_table(self.plan), id="plan-table")

    def show(self, plan) -> None:
        self.plan = plan
        self.query_one("#plan-table", Static).update(plan_table(plan))
