"""Run the model's prediction graphs node by node, in an order worked out once.

Rasa 3.6 runs its graphs through dask's scheduler on every call: the NLU graph for each message
and the policy graph for each prediction (two or more per message). Prediction graphs are small
(about ten nodes) and run in one thread, so the scheduler, which works out the graph's order and
the state of every task again on each call, was a tenth of a Rasa replica's CPU under load
(py-spy, docs/benchmark.md). This runner calls the same graph nodes with the same inputs, in an
order computed once per set of targets. Training keeps Rasa's dask runner.

Installed when the `addons` package is imported (as Rasa does at start-up for the channel and
the stores, before it loads the model).
"""

from __future__ import annotations

from typing import Any

from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import ExecutionContext, GraphNodeHook, GraphSchema
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.storage import ModelStorage

# One step of a plan: the node's name and the names of what it needs, in its schema's order.
Step = tuple[str, tuple[str, ...]]


class SequentialGraphRunner(DaskGraphRunner):
    """DaskGraphRunner's nodes and results, without dask's per-call scheduling."""

    def __init__(
        self,
        graph_schema: GraphSchema,
        model_storage: ModelStorage,
        execution_context: ExecutionContext,
        hooks: list[GraphNodeHook] | None = None,
    ) -> None:
        super().__init__(graph_schema, model_storage, execution_context, hooks)
        self._plans: dict[tuple[str, ...], list[Step]] = {}

    def run(
        self, inputs: dict[str, Any] | None = None, targets: list[str] | None = None
    ) -> dict[str, Any]:
        """Runs the graph (see GraphRunner.run)."""
        run_targets = list(targets) if targets else self._graph_schema.target_names
        key = tuple(run_targets)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._plan(run_targets)
        # As with dask: an input is passed on as (name, value); an input named like a node
        # replaces that node; a need that nothing provides is passed as its bare name, which
        # the node reports as a missing input.
        results: dict[str, Any] = {name: (name, value) for name, value in (inputs or {}).items()}
        try:
            for node_name, needs in plan:
                if node_name in results:
                    continue
                node = self._instantiated_nodes[node_name]
                results[node_name] = node(*(results.get(need, need) for need in needs))
        except RuntimeError as error:
            raise GraphRunError("Error running runner.") from error
        return dict(results[target] for target in run_targets)

    def _plan(self, targets: list[str]) -> list[Step]:
        """The nodes the targets need, each after everything it needs."""
        schema = self._graph_schema.minimal_graph_schema(targets)
        plan: list[Step] = []
        placed: set[str] = set()

        def place(name: str) -> None:
            if name in placed or name not in schema.nodes:
                return
            placed.add(name)
            needs = tuple(schema.nodes[name].needs.values())
            for need in needs:
                place(need)
            plan.append((name, needs))

        for target in targets:
            place(target)
        return plan


def install() -> None:
    """Make Rasa's message processor load models with this runner."""
    import rasa.core.processor

    rasa.core.processor.DaskGraphRunner = SequentialGraphRunner  # type: ignore[misc]
