"""Rasa's RulePolicy, with its rules looked up through an index (config.yml names this class).

Rasa 3.6's RulePolicy finds the rules that fit a conversation by testing every rule it learnt
(`_get_possible_keys`, 313 rules and 99 loop rules here) against the conversation's latest
state, then the survivors against the state before, and so on back to the start of the
conversation. Under `make bench`'s load this measured 4.6 % of Rasa's busy time (issue 14).

A rule whose latest state names the previous action (and the user's intent) can only fit a
conversation whose latest state has the same ones. The index groups the rules by these two
names once; a prediction tests Rasa's own `_is_rule_applicable` on the rules of the matching
groups only, then goes back in time as Rasa does, stopping once no rule is left. The rules
found are exactly Rasa's: only rules that Rasa's test would refuse at the latest state are left
out (tests/connectors/test_rule_policy.py compares both on every state of the test stories'
conversations).

Rasa checks that a RulePolicy is configured by comparing the class exactly (a warning that
`restart` and `back` would not work); this class is a RulePolicy, so that warning is silenced.
"""
from __future__ import annotations

import warnings
from typing import Dict, List, Optional, Set, Text, Tuple

from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET, USER
from rasa.shared.core.domain import State
from rasa.shared.nlu.constants import ACTION_NAME, INTENT

warnings.filterwarnings("ignore", message="'RulePolicy' is not included in the model's policy")

Group = Tuple[Optional[Text], Optional[Text]]


def _required(sub_state: Optional[dict], key: Text) -> Optional[Text]:
    """The value a rule's sub-state requires for `key`, when it requires one (Rasa's
    `_does_rule_match_state`: a set value other than SHOULD_NOT_BE_SET must be equal)."""
    value = (sub_state or {}).get(key)
    if isinstance(value, str) and value and value != SHOULD_NOT_BE_SET:
        return value
    return None


def group_of_rule(rule_states: List[State]) -> Group:
    """The (previous action, intent) a rule's latest state requires; None where it requires
    nothing, and (None, None) for a rule that starts a conversation (no previous action),
    which Rasa matches by other means."""
    if not rule_states or not rule_states[-1].get(PREVIOUS_ACTION):
        return None, None
    latest = rule_states[-1]
    return _required(latest.get(PREVIOUS_ACTION), ACTION_NAME), _required(latest.get(USER), INTENT)


def groups_for_state(state: State) -> List[Group]:
    """The groups whose rules may fit a conversation's latest state."""
    action = (state.get(PREVIOUS_ACTION) or {}).get(ACTION_NAME)
    intent = (state.get(USER) or {}).get(INTENT)
    return [(a, i) for a in {action, None} for i in {intent, None}]


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class IndexedRulePolicy(RulePolicy):
    """RulePolicy whose rule lookup goes through an index of the rules' latest states."""

    def _index(self, lookup: Dict[Text, Text]) -> Dict[Group, List[Text]]:
        cache = self.__dict__.setdefault("_npt_rule_index", {})
        entry = cache.get(id(lookup))
        if entry is None or entry[0] is not lookup or entry[1] != len(lookup):
            index: Dict[Group, List[Text]] = {}
            for key in lookup:
                index.setdefault(group_of_rule(self._rule_key_to_state(key)), []).append(key)
            entry = cache[id(lookup)] = (lookup, len(lookup), index)
        return entry[2]

    def _get_possible_keys(self, lookup: Dict[Text, Text], states: List[State]) -> Set[Text]:
        if not states or not states[-1].get(PREVIOUS_ACTION):
            # a conversation's first state: Rasa's own way (rare, and matched differently)
            return super()._get_possible_keys(lookup, states)
        index = self._index(lookup)
        possible_keys: Set[Text] = set()
        for group in groups_for_state(states[-1]):
            possible_keys.update(index.get(group, ()))
        for i, state in enumerate(reversed(states)):
            if not possible_keys:
                break
            possible_keys = {key for key in possible_keys
                             if self._is_rule_applicable(key, i, state)}
        return possible_keys
