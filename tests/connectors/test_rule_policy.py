"""The indexed RulePolicy (config.yml) finds exactly the rules Rasa's RulePolicy finds, on every
state of every conversation the rules and the test stories describe, while testing fewer rules;
and it sees the states Rasa's replay gives while replaying only what a conversation added."""
from __future__ import annotations

from pathlib import Path

import pytest
from rasa.core.policies.rule_policy import (RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RulePolicy)
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.importers.importer import TrainingDataImporter

from rasa.core.policies.policy import Policy
from rasa.shared.core.events import ActionExecuted, UserUtteranceReverted
from rasa.shared.core.trackers import DialogueStateTracker

from connectors import rule_policy
from connectors.rule_policy import IndexedRulePolicy

PROJECT_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The policy trained on the project's rules, the domain, and the conversations of the
    rules and of the test stories."""
    importer = TrainingDataImporter.load_from_config(
        str(PROJECT_DIR / "config.yml"), str(PROJECT_DIR / "domain.yml"),
        [str(PROJECT_DIR / "data" / "rules"), str(PROJECT_DIR / "tests" / "stories")])
    domain = importer.get_domain()
    trackers = TrainingDataGenerator(importer.get_stories(), domain,
                                     augmentation_factor=0).generate()
    policy = IndexedRulePolicy.create(
        IndexedRulePolicy.get_default_config(),
        LocalModelStorage(tmp_path_factory.mktemp("rule-policy")), Resource("rules"),
        ExecutionContext(GraphSchema({}), "test"))
    policy.train(trackers, domain)
    return policy, domain, trackers


def every_state(policy, domain, trackers):
    """The states a prediction sees, at every step of every conversation, with the user's
    intent and with their text."""
    for tracker in trackers:
        for prior, _ in tracker.generate_all_prior_trackers():
            for use_text in (False, True):
                yield policy._prediction_states(prior, domain, use_text,
                                                rule_only_data=policy._get_rule_only_data())


def test_the_same_rules_as_rasa_on_every_state(trained):
    policy, domain, trackers = trained
    compared = found = 0
    for states in every_state(policy, domain, trackers):
        for name in (RULES, RULES_FOR_LOOP_UNHAPPY_PATH):
            lookup = policy.lookup[name]
            expected = RulePolicy._get_possible_keys(policy, lookup, states)
            assert policy._get_possible_keys(lookup, states) == expected
            compared += 1
            found += bool(expected)
    # Not a comparison of empty sets: rules were found on thousands of states.
    assert compared > 4000 and found > 1500, (compared, found)


def test_fewer_rules_are_tested(trained, monkeypatch):
    policy, domain, trackers = trained
    tested = {"rasa": 0, "indexed": 0}
    original = RulePolicy._is_rule_applicable

    def counting(counter):
        def applicable(self, key, index, state):
            tested[counter] += 1
            return original(self, key, index, state)
        return applicable

    states = list(every_state(policy, domain, trackers[:40]))
    lookup = policy.lookup[RULES]
    monkeypatch.setattr(RulePolicy, "_is_rule_applicable", counting("rasa"))
    for state in states:
        RulePolicy._get_possible_keys(policy, lookup, state)
    monkeypatch.setattr(RulePolicy, "_is_rule_applicable", counting("indexed"))
    for state in states:
        policy._get_possible_keys(lookup, state)
    assert tested["indexed"] * 5 < tested["rasa"], tested


def rasa_states(policy, tracker, domain, use_text):
    return Policy._prediction_states(policy, tracker, domain, use_text,
                                     rule_only_data=policy._get_rule_only_data())


def test_the_states_are_rasas_at_every_step_while_fewer_events_are_replayed(trained,
                                                                           monkeypatch):
    """Each conversation grows one action at a time, as in a real conversation: at every step
    the states (with the user's intent, and with their text) are those of Rasa's full replay,
    with far fewer events replayed than Rasa replays (a form's turns undo each other in Rasa's
    applied events, so a conversation in a form is replayed again from its start)."""
    policy, domain, trackers = trained
    replayed = {"ours": 0, "rasa": 0}
    original = rule_policy._Replayed.advance

    def counting(self, applied):
        replayed["ours"] += len(applied) - len(self.events)
        return original(self, applied)

    monkeypatch.setattr(rule_policy._Replayed, "advance", counting)
    policy.__dict__.pop("_npt_history", None)
    compared = 0
    for number, story in enumerate(trackers[:80]):
        events = list(story.events)
        steps = [i for i, event in enumerate(events) if isinstance(event, ActionExecuted)]
        for end in [*steps, len(events)]:
            tracker = DialogueStateTracker.from_events(f"story-{number}", events[:end],
                                                       domain.slots)
            for use_text in (False, True):
                ours = policy._prediction_states(tracker, domain, use_text,
                                                 rule_only_data=policy._get_rule_only_data())
                assert ours == rasa_states(policy, tracker, domain, use_text), (number, end)
                replayed["rasa"] += len(tracker.applied_events())
                compared += 1
    assert compared > 1000, compared
    assert replayed["ours"] * 3 < replayed["rasa"], replayed


def test_an_undone_turn_or_other_events_are_replayed_from_the_start(trained):
    policy, domain, trackers = trained
    story = max(trackers[:80], key=lambda tracker: len(tracker.events))
    events = list(story.events)
    first = DialogueStateTracker.from_events("undone", events, domain.slots)
    policy._prediction_states(first, domain)
    # The person's last message undone: fewer applied events than replayed.
    undone = DialogueStateTracker.from_events("undone", [*events, UserUtteranceReverted()],
                                              domain.slots)
    assert undone.applied_events() != first.applied_events()
    # The same conversation read again from the store: equal events, not the same objects.
    read_again = DialogueStateTracker.from_dict(
        "undone", [event.as_dict() for event in events], domain.slots)
    for tracker in (undone, read_again, first):
        for use_text in (False, True):
            assert (policy._prediction_states(tracker, domain, use_text)
                    == rasa_states(policy, tracker, domain, use_text))


def test_a_prediction_editing_its_states_does_not_change_the_next(trained):
    policy, domain, trackers = trained
    tracker = DialogueStateTracker.from_events("edited", list(trackers[3].events), domain.slots)
    expected = rasa_states(policy, tracker, domain, False)
    states = policy._prediction_states(tracker, domain)
    for state in states:
        for sub_state in state.values():
            sub_state.clear()
        state.clear()
    assert policy._prediction_states(tracker, domain) == expected


def test_the_conversations_kept_are_capped():
    history = rule_policy.StateHistory(conversations=3, states=10_000)
    from rasa.shared.core.domain import Domain

    domain = Domain.empty()
    for number in range(5):
        tracker = DialogueStateTracker.from_events(
            f"capped-{number}", [ActionExecuted("action_listen")], domain.slots)
        history.states(tracker, domain)
    assert list(history._kept) == ["capped-2", "capped-3", "capped-4"]
