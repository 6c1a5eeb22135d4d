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

To find the conversation's states, Rasa replays the whole conversation on every prediction,
twice when the user has just spoken (their intent, then their text): on a 200-turn
conversation this measured as 40 % of Rasa's busy time, growing with the conversation
(`make bench`'s long conversation, issue 14). `StateHistory` keeps, for the conversations
predicted last, the events replayed so far, the tracker they built and the state before each
action, and replays only the events added since. The states are Rasa's (the same replay, one
event at a time, with Rasa's `get_active_state`); a conversation whose events are not the same
objects as those replayed (read again from the store, an undone turn, another server's turn)
is replayed from its start. Each prediction gets its own copy of the states, which Rasa's
featurizer edits.

Rasa checks that a RulePolicy is configured by comparing the class exactly (a warning that
`restart` and `back` would not work); this class is a RulePolicy, so that warning is silenced.
"""
from __future__ import annotations

import operator
import warnings
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Set, Text, Tuple

from rasa.core.featurizers.tracker_featurizers import MaxHistoryTrackerFeaturizer
from rasa.core.policies.policy import SupportedData
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET, USER
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import ActionExecuted, Event
from rasa.shared.core.trackers import DialogueStateTracker
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


class _Replayed:
    """One conversation replayed so far: its applied events, the tracker they built, and the
    state before each action among them."""

    def __init__(self, tracker: DialogueStateTracker, domain: Domain) -> None:
        self.domain = domain
        self.slot_names = tuple(tracker.slots)
        self.events: List[Event] = []
        self.replay = tracker.init_copy()
        self.states: List[State] = []

    def continues(self, applied: List[Event], tracker: DialogueStateTracker,
                  domain: Domain) -> bool:
        """True when `applied` starts with the very events replayed here."""
        count = len(self.events)
        return (domain is self.domain and tuple(tracker.slots) == self.slot_names
                and len(applied) >= count
                and all(map(operator.is_, applied[:count], self.events)))

    def state(self) -> State:
        # Rasa's Domain.states_for_tracker_history, without rule-only turns ignored
        return self.domain._clean_state(self.domain.get_active_state(self.replay))

    def advance(self, applied: List[Event]) -> List[State]:
        """The states of the conversation whose applied events are `applied` (Rasa's
        generate_all_prior_trackers: the state before each action, then the latest)."""
        for event in applied[len(self.events):]:
            if isinstance(event, ActionExecuted):
                self.states.append(self.state())
            self.replay.update(event)
            self.events.append(event)
        return [*self.states, self.state()]


class StateHistory:
    """The conversations replayed last (at most `conversations`, and `states` states in all),
    each continued from where its replay stopped."""

    def __init__(self, conversations: int = 256, states: int = 40_000) -> None:
        self.conversations, self.most_states = conversations, states
        self._kept: "OrderedDict[Text, _Replayed]" = OrderedDict()

    def states(self, tracker: DialogueStateTracker, domain: Domain) -> List[State]:
        """The conversation's states as Rasa's replay gives them (to be copied before edits)."""
        applied = tracker.applied_events()
        kept = self._kept.pop(tracker.sender_id, None)
        if kept is None or not kept.continues(applied, tracker, domain):
            kept = _Replayed(tracker, domain)
        states = kept.advance(applied)
        self._kept[tracker.sender_id] = kept
        total = sum(len(entry.states) for entry in self._kept.values())
        while len(self._kept) > self.conversations or (total > self.most_states
                                                        and len(self._kept) > 1):
            _, dropped = self._kept.popitem(last=False)
            total -= len(dropped.states)
        return states


def _own_copy(states: List[State]) -> List[State]:
    """States a prediction may edit (Rasa's featurizer deletes keys of their sub-states)."""
    return [{key: dict(sub_state) for key, sub_state in state.items()} for state in states]


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class IndexedRulePolicy(RulePolicy):
    """RulePolicy whose rule lookup goes through an index of the rules' latest states."""

    def _prediction_states(self, tracker: DialogueStateTracker, domain: Domain,
                           use_text_for_last_user_input: bool = False,
                           rule_only_data: Optional[Dict[Text, Any]] = None) -> List[State]:
        featurizer = self.featurizer
        if (type(tracker) is not DialogueStateTracker  # training trackers: Rasa's way
                or self.supported_data() == SupportedData.ML_DATA
                or type(featurizer) is not MaxHistoryTrackerFeaturizer
                or featurizer.max_history is not None):
            return super()._prediction_states(tracker, domain, use_text_for_last_user_input,
                                              rule_only_data)
        history = self.__dict__.get("_npt_history")
        if history is None:
            history = self.__dict__["_npt_history"] = StateHistory()
        states = _own_copy(history.states(tracker, domain))
        # What MaxHistoryTrackerFeaturizer.prediction_states does after the replay (with no
        # max_history and rule-only turns kept, its slicing and filters change nothing).
        featurizer._choose_last_user_input([states], use_text_for_last_user_input)
        return states

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
