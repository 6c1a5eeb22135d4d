"""The intent classifier of config.yml (connectors/intent_classifier.py): what it reads, what it
gives the FallbackClassifier and the actions, what it saves and what it refuses to load."""
from __future__ import annotations

import pytest
import skops.io as sio
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.regex_featurizer import RegexFeaturizer
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from connectors.intent_classifier import MODEL_FILE, LinearIntentClassifier, UntrustedModel

EXAMPLES = {
    "greet": ["bonjour", "salut", "bonsoir", "coucou", "bonjour madame", "salut à vous"],
    "goodbye": ["au revoir", "à plus tard", "bonne journée", "à bientôt", "je dois partir",
                "bonne soirée au revoir"],
    "request_appointment": ["je voudrais un rendez-vous", "prendre rendez-vous",
                            "un rdv svp", "je veux réserver un créneau",
                            "rendez-vous possible demain ?", "réserver une place"],
    "inform_location": ["j'habite à Montreuil", "je suis à Bobigny", "Pantin",
                        "près de Montreuil", "à Bobigny", "j'habite Pantin"],
}
# Communes the examples never name: only the lookup table knows them.
COMMUNES = ["Montreuil", "Bobigny", "Pantin", "Gennevilliers", "Aubervilliers"]


def context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), "test")


def training_data() -> TrainingData:
    examples = [Message(data={"text": text, "intent": intent})
                for intent, texts in EXAMPLES.items() for text in texts]
    return TrainingData(training_examples=examples,
                        lookup_tables=[{"name": "commune", "elements": COMMUNES}])


class Pipeline:
    """The tokenizer, RegexFeaturizer and classifier as config.yml chains them."""

    def __init__(self, storage: LocalModelStorage, config: dict | None = None):
        self.storage = storage
        self.tokenizer = WhitespaceTokenizer.create(WhitespaceTokenizer.get_default_config(),
                                                    storage, Resource("tokens"), context())
        self.regexes = RegexFeaturizer.create(RegexFeaturizer.get_default_config(), storage,
                                              Resource("regexes"), context())
        self.classifier = LinearIntentClassifier.create(config or {}, storage,
                                                        Resource("intents"), context())

    def train(self, data: TrainingData) -> "Pipeline":
        self.tokenizer.process_training_data(data)
        self.regexes.train(data)
        self.regexes.process_training_data(data)
        self.classifier.train(data)
        return self

    def read(self, *texts: str, classifier: LinearIntentClassifier | None = None
             ) -> list[Message]:
        messages = [Message(data={"text": text}) for text in texts]
        self.tokenizer.process(messages)
        self.regexes.process(messages)
        return (classifier or self.classifier).process(messages)


@pytest.fixture
def pipeline(tmp_path) -> Pipeline:
    return Pipeline(LocalModelStorage(tmp_path)).train(training_data())


def intent(message: Message) -> str:
    return message.get("intent")["name"]


def test_reads_the_intent_with_a_confidence_and_a_ranking(pipeline):
    [message] = pipeline.read("je voudrais prendre un rendez-vous")
    assert intent(message) == "request_appointment"
    ranking = message.get("intent_ranking")
    assert [item["name"] for item in ranking][0] == "request_appointment"
    assert sorted(item["name"] for item in ranking) == sorted(EXAMPLES)
    confidences = [item["confidence"] for item in ranking]
    assert confidences == sorted(confidences, reverse=True)
    assert message.get("intent")["confidence"] == confidences[0] > 0.5
    assert sum(confidences) == pytest.approx(1.0)
    assert message.as_dict_nlu()["intent"]["name"] == "request_appointment"


def test_typos_and_missing_accents_read_like_the_examples(pipeline):
    readings = pipeline.read("bonjourr", "a plus tard", "rendez vous svp", "reserver un creneau")
    assert [intent(message) for message in readings] == [
        "greet", "goodbye", "request_appointment", "request_appointment"]


def test_a_commune_only_the_lookup_table_names_is_a_location(tmp_path):
    (tmp_path / "with").mkdir()
    (tmp_path / "without").mkdir()
    with_lookup = Pipeline(LocalModelStorage(tmp_path / "with")).train(training_data())
    assert [intent(message) for message in with_lookup.read("Gennevilliers", "Aubervilliers")
            ] == ["inform_location", "inform_location"]
    # The same data without the lookup table: the name alone says nothing to the classifier.
    data = training_data()
    data.lookup_tables = []
    without = Pipeline(LocalModelStorage(tmp_path / "without")).train(data)
    assert [intent(message) for message in without.read("Gennevilliers", "Aubervilliers")
            ] != ["inform_location", "inform_location"]


def test_any_text_gets_an_answer(pipeline):
    texts = ["", "   ", "😀😀", "Привет, как дела?", "مرحبا", "<script>alert(1)</script>",
             "rendez-vous " * 400]
    # Each alone (an empty message has no features from the RegexFeaturizer), then together.
    readings = [message for text in texts for message in pipeline.read(text)]
    readings += pipeline.read(*texts)
    for message in readings:
        assert intent(message) in EXAMPLES
        assert 0.0 < message.get("intent")["confidence"] <= 1.0


def test_the_saved_model_reads_the_same_after_loading(pipeline, tmp_path):
    texts = ["bonjour", "je suis à Pantin", "un rendez-vous demain", "à plus"]
    before = [message.get("intent_ranking") for message in pipeline.read(*texts)]
    loaded = LinearIntentClassifier.load({}, pipeline.storage, Resource("intents"), context())
    after = [message.get("intent_ranking") for message in pipeline.read(*texts,
                                                                         classifier=loaded)]
    assert after == before


def test_a_model_file_holding_other_types_is_refused(pipeline):
    from scipy.sparse import coo_matrix

    with pipeline.storage.write_to(Resource("intents")) as directory:
        sio.dump({"pipeline": coo_matrix([[1.0]])}, directory / MODEL_FILE)
    with pytest.raises(UntrustedModel, match="coo_matrix"):
        LinearIntentClassifier.load({}, pipeline.storage, Resource("intents"), context())


def test_one_intent_trains_nothing_and_reads_nothing(tmp_path):
    data = TrainingData(training_examples=[Message(data={"text": "bonjour", "intent": "greet"}),
                                           Message(data={"text": "salut", "intent": "greet"})])
    pipeline = Pipeline(LocalModelStorage(tmp_path)).train(data)
    assert pipeline.read("bonjour")[0].get("intent") is None
    loaded = LinearIntentClassifier.load({}, pipeline.storage, Resource("intents"), context())
    assert pipeline.read("bonjour", classifier=loaded)[0].get("intent") is None


@pytest.mark.parametrize("config, named", [
    ({"C": 0}, "C must be a positive number"),
    ({"C": "strong"}, "C must be a positive number"),
    ({"char_ngrams": [5, 2]}, "char_ngrams must be two whole numbers"),
    ({"word_ngrams": [1]}, "word_ngrams must be two whole numbers"),
    ({"ranking_length": -1}, "ranking_length must be a whole number"),
    ({"class_weight_power": 1.5}, "class_weight_power must be a number from 0 to 1"),
    ({"class_weight_power": "balanced"}, "class_weight_power must be a number from 0 to 1"),
])
def test_a_wrong_setting_is_named(tmp_path, config, named):
    with pytest.raises(ValueError, match=named):
        LinearIntentClassifier.create(config, LocalModelStorage(tmp_path), Resource("intents"),
                                      context())


def test_the_ranking_length_limits_the_ranking(tmp_path):
    pipeline = Pipeline(LocalModelStorage(tmp_path), {"ranking_length": 2}).train(training_data())
    [message] = pipeline.read("bonjour")
    assert len(message.get("intent_ranking")) == 2
    assert message.get("intent_ranking")[0] == message.get("intent")


@pytest.mark.parametrize("power", [0, 0.5, 1])
def test_class_weight_power_goes_from_no_reweighting_to_balanced(tmp_path, power):
    """1 weighs the intents as scikit-learn's "balanced" does, 0 leaves every example at 1."""
    import numpy as np
    from sklearn.utils.class_weight import compute_class_weight

    data = training_data()
    data = TrainingData(training_examples=data.training_examples
                        + [Message(data={"text": f"bonjour numéro {n}", "intent": "greet"})
                           for n in range(12)],
                        lookup_tables=data.lookup_tables)
    pipeline = Pipeline(LocalModelStorage(tmp_path), {"class_weight_power": power}).train(data)
    weights = pipeline.classifier.pipeline.named_steps["classifier"].class_weight
    intents = sorted(EXAMPLES)
    labels = [example.get("intent") for example in data.intent_examples]
    balanced = compute_class_weight("balanced", classes=np.array(intents), y=labels)
    assert [weights[name] for name in intents] == pytest.approx(balanced ** power)
    assert weights["greet"] < weights["goodbye"] or power == 0
