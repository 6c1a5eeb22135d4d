"""The planned graph runner (connectors/graph_runner.py) gives, on the trained model, what Rasa's
DaskGraphRunner gives: the same reading of every message and the same next action at every step
of every conversation of the rules and test stories; and it fails the way Rasa's runner fails."""
from __future__ import annotations

from pathlib import Path

import pytest
import rasa.core.processor as processor
from rasa.core.channels.channel import UserMessage
from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import GraphNode
from rasa.engine.loader import load_predict_graph_runner
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.importers.importer import TrainingDataImporter

from connectors.graph_runner import PlannedGraphRunner, install

PROJECT_DIR = Path(__file__).resolve().parents[2]
MESSAGE, TRACKER = "__message__", "__tracker__"

TEXTS = [
    "bonjour", "je veux prendre rendez-vous", "annuler mon rdv", "STOP", "aide", "oui", "non",
    "1", "2e", "le deuxième", "près d'Ivry-sur-Seine", "93200", "je sais pas", "merci", "voilà",
    "yes please", "c quoi le programme", "je n'ai pas d'ordinateur", "plutôt le matin",
    "/affirm", "", "🙂", "Привет", "a" * 2000, "SUPPRIMER mes données",
]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    model = PROJECT_DIR / "models" / "npt.tar.gz"
    if not model.exists():
        pytest.fail("models/npt.tar.gz is missing: run `make train` (make test does it)")
    metadata, runner = load_predict_graph_runner(
        tmp_path_factory.mktemp("graph"), model, LocalModelStorage, PlannedGraphRunner)
    assert isinstance(runner, PlannedGraphRunner)
    return metadata, runner


def both(runner, inputs, targets):
    """(planned, Rasa's dask) results of one run; `inputs` is called for fresh inputs each time,
    because NLU components write into the message they read."""
    return (runner.run(inputs=inputs(), targets=targets),
            DaskGraphRunner.run(runner, inputs=inputs(), targets=targets))


def test_every_message_is_read_as_rasa_reads_it(loaded):
    metadata, runner = loaded
    target = metadata.nlu_target
    tracker = DialogueStateTracker("graph-runner", metadata.domain.slots)
    intents = set()
    for text in TEXTS:
        planned, rasa = both(runner, lambda: {MESSAGE: [UserMessage(text, message_id="m1")], TRACKER: tracker},
                             [target])
        assert list(planned) == list(rasa) == [target]
        ours, theirs = planned[target][0].as_dict(), rasa[target][0].as_dict()
        assert ours == theirs, text
        intents.add(ours["intent"]["name"])
    # Not one answer for everything: the messages were read as several intents.
    assert len(intents) >= 6, intents


def test_every_step_of_every_conversation_predicts_what_rasa_predicts(loaded):
    metadata, runner = loaded
    importer = TrainingDataImporter.load_from_config(
        str(PROJECT_DIR / "config.yml"), str(PROJECT_DIR / "domain.yml"),
        [str(PROJECT_DIR / "data" / "rules"), str(PROJECT_DIR / "tests" / "stories")])
    trackers = TrainingDataGenerator(importer.get_stories(), metadata.domain,
                                     augmentation_factor=0).generate()
    target = metadata.core_target
    compared, actions = 0, set()
    for story in trackers:
        tracker = DialogueStateTracker.from_events(story.sender_id, story.events,
                                                   metadata.domain.slots)
        for prior, _ in tracker.generate_all_prior_trackers():
            planned, rasa = both(runner, lambda: {TRACKER: prior}, [target])
            ours, theirs = planned[target], rasa[target]
            assert (ours.probabilities, ours.policy_name, ours.events, ours.optional_events,
                    ours.is_end_to_end_prediction, ours.is_no_user_prediction,
                    ours.action_metadata) == (
                theirs.probabilities, theirs.policy_name, theirs.events, theirs.optional_events,
                theirs.is_end_to_end_prediction, theirs.is_no_user_prediction,
                theirs.action_metadata)
            compared += 1
            actions.add(ours.max_confidence_index)
    assert compared > 500 and len(actions) > 20, (compared, len(actions))


def test_each_node_runs_once_after_what_it_needs(loaded, monkeypatch):
    metadata, runner = loaded
    calls = []
    original = GraphNode.__call__

    def counting(node, *inputs):
        calls.append(node._node_name)
        return original(node, *inputs)

    monkeypatch.setattr(GraphNode, "__call__", counting)
    tracker = DialogueStateTracker("graph-runner", metadata.domain.slots)
    runner.run(inputs={MESSAGE: [UserMessage("bonjour")], TRACKER: tracker},
               targets=[metadata.nlu_target])
    nodes = runner._graph_schema.minimal_graph_schema([metadata.nlu_target]).nodes
    assert sorted(calls) == sorted(set(nodes) - {MESSAGE, TRACKER})
    for position, name in enumerate(calls):
        for need in nodes[name].needs.values():
            assert need in (MESSAGE, TRACKER) or calls.index(need) < position, (name, need)


@pytest.mark.parametrize("error, raised", [(RuntimeError, GraphRunError),
                                           (ValueError, ValueError)])
def test_a_node_failing_fails_the_run_as_in_rasa(loaded, monkeypatch, error, raised):
    metadata, runner = loaded

    def failing(node, *inputs):
        raise error("broken component")

    monkeypatch.setattr(GraphNode, "__call__", failing)
    tracker = DialogueStateTracker("graph-runner", metadata.domain.slots)
    for run in (runner.run, lambda **kwargs: DaskGraphRunner.run(runner, **kwargs)):
        with pytest.raises(raised):
            run(inputs={TRACKER: tracker}, targets=[metadata.core_target])


def test_an_input_named_like_a_node_is_refused_as_in_rasa(loaded):
    metadata, runner = loaded
    node = next(iter(runner._graph_schema.minimal_graph_schema([metadata.nlu_target]).nodes))
    for run in (runner.run, lambda **kwargs: DaskGraphRunner.run(runner, **kwargs)):
        with pytest.raises(GraphRunError, match="clashes with a node name"):
            run(inputs={MESSAGE: node}, targets=[metadata.nlu_target])


def test_installed_in_rasas_processor_once(monkeypatch):
    monkeypatch.setattr(processor, "DaskGraphRunner", DaskGraphRunner)
    install()
    install()  # twice: the second does nothing
    assert processor.DaskGraphRunner is PlannedGraphRunner


def test_not_installed_over_another_runner(monkeypatch):
    class Other(DaskGraphRunner):
        pass

    monkeypatch.setattr(processor, "DaskGraphRunner", Other)
    with pytest.raises(RuntimeError, match="check connectors/graph_runner.py"):
        install()
    assert processor.DaskGraphRunner is Other
