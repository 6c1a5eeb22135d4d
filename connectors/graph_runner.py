"""Rasa runs its trained graph (NLU components, policies) for every message and every
prediction with `DaskGraphRunner` (rasa 3.6.21): on each run it works out again which nodes the
targets need, builds a dask graph of them and has dask's synchronous scheduler order and run it.
The nodes' own work is the same every time; the rest measured as 5 to 8 % of Rasa's busy time
under a diagnostic load (issue 14).

`PlannedGraphRunner` runs the same nodes with the same inputs: it works out once, per set of
targets and of input names, the nodes needed and an order in which each comes after the nodes
it needs, and then calls them in that order. What dask does is kept:
- an input named like a node replaces that node, as `_add_inputs_to_graph` does;
- a need that is neither a node nor an input is passed as its own name (dask passes a key it
  cannot find as it is), so the node logs "not resolved" as before;
- an input value that is the name of a node is refused with Rasa's message;
- a `RuntimeError` in a node becomes Rasa's `GraphRunError`; other errors go through as they are.

`install()` is called by scripts/rasa_server.py before Rasa starts: Rasa's processor then loads
its model with this runner. It refuses to run when the processor does not load models with
rasa 3.6.21's `DaskGraphRunner`, so a Rasa upgrade has to look at this again."""
from __future__ import annotations

from typing import Any, Dict, FrozenSet, List, Optional, Text, Tuple

from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner

# One step of a plan: the node's name, the node, and the names of what it needs, in order.
Step = Tuple[Text, Any, Tuple[Text, ...]]


class PlannedGraphRunner(DaskGraphRunner):
    """Rasa's graph runner, with the order of the nodes worked out once per kind of run."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: Dict[Tuple[Tuple[Text, ...], FrozenSet[Text]], List[Step]] = {}

    def plan(self, targets: List[Text], input_names: FrozenSet[Text]) -> List[Step]:
        """The nodes the targets need, each after the nodes it needs (inputs are not run)."""
        key = (tuple(targets), input_names)
        found = self._plans.get(key)
        if found is not None:
            return found
        nodes = self._graph_schema.minimal_graph_schema(list(targets)).nodes
        steps: List[Step] = []
        placed = set()
        for target in targets:
            # Depth first without recursion: (name, whether its needs are placed already).
            pending = [(target, False)]
            while pending:
                name, needs_placed = pending.pop()
                if name in placed or name in input_names or name not in nodes:
                    continue
                needs = tuple(nodes[name].needs.values())
                if needs_placed:
                    placed.add(name)
                    steps.append((name, self._instantiated_nodes[name], needs))
                    continue
                pending.append((name, True))
                pending.extend((need, False) for need in reversed(needs))
        self._plans[key] = steps
        return steps

    def run(self, inputs: Optional[Dict[Text, Any]] = None,
            targets: Optional[List[Text]] = None) -> Dict[Text, Any]:
        run_targets = targets if targets else self._graph_schema.target_names
        inputs = inputs or {}
        steps = self.plan(run_targets, frozenset(inputs))
        run_names = {name for name, _, _ in steps}
        for input_name, input_value in inputs.items():
            if isinstance(input_value, str) and input_value in run_names:
                raise GraphRunError(
                    f"Input value '{input_value}' clashes with a node name. Make sure "
                    f"that none of the input names passed to the `run` method are the "
                    f"same as node names in the graph schema.")
        # Every value as dask holds it: (name, output).
        values: Dict[Text, Any] = {name: (name, value) for name, value in inputs.items()}
        try:
            for name, node, needs in steps:
                values[name] = node(*(values.get(need, need) for need in needs))
        except RuntimeError as error:
            raise GraphRunError("Error running runner.") from error
        return dict(values[target] for target in run_targets)


def install() -> None:
    import rasa.core.processor as processor

    current = getattr(processor, "DaskGraphRunner", None)
    if current is PlannedGraphRunner:
        return
    if current is not DaskGraphRunner or "DaskGraphRunner," not in _source(processor):
        raise RuntimeError("Rasa's processor does not load its model with rasa 3.6.21's "
                           "DaskGraphRunner: check connectors/graph_runner.py against the new "
                           "Rasa")
    processor.DaskGraphRunner = PlannedGraphRunner


def _source(module: Any) -> str:
    import inspect

    return inspect.getsource(module.MessageProcessor._load_model)
