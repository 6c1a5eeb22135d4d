"""The indexed RulePolicy (config.yml) finds exactly the rules Rasa's RulePolicy finds, on every
state of every conversation the rules and the test stories describe, while testing fewer rules."""
from __future__ import annotations

from pathlib import Path

import pytest
from rasa.core.policies.rule_policy import (RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RulePolicy)
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.importers.importer import TrainingDataImporter

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
