"""The NLU's intent classifier: a linear model over the message's words and character n-grams.

config.yml names `connectors.intent_classifier.LinearIntentClassifier`. It reads the text of a
message itself (scikit-learn's TF-IDF of character n-grams within words, which absorb missing
accents, typos and SMS spellings, and of words and word pairs), adds the sentence features of
the featurizers before it in the pipeline (RegexFeaturizer: a commune of the lookup table, a
postcode, an arrondissement), and a logistic regression gives every intent a probability. The
most probable is the message's intent, its probability the confidence, the others the ranking:
what DIETClassifier gave, so the FallbackClassifier and the actions' confidence thresholds read
it the same way.

Why not DIET: on our training data, 3-fold cross-validation (`make nlu-cv`) gave macro-F1 0.876
with DIETClassifier and 0.880 with Rasa's LogisticRegressionClassifier over the Rasa
featurizers' raw counts; TF-IDF features with a weaker regularisation separate the intents
better (0.915 on the same folds; config.yml). It also costs far less: DIET's TensorFlow graph
and its feature conversion took a sixth of Rasa's busy time under `make bench`'s load (issue
14), and its training about 15 minutes on this machine, against seconds here. The intents
are weighted between none and scikit-learn's "balanced" (`class_weight_power`): out_of_scope,
by far the largest intent, is what a message of unknown words most often is.

The trained model is saved with skops (not pickle) and loaded trusting only skops' default
types and the sparse matrix this pipeline holds (`TRUSTED_TYPES`): a model file holding anything
else is refused.
"""
from __future__ import annotations

import logging
from collections import Counter
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

MODEL_FILE = "intent_classifier.skops"
# The types a trained pipeline holds beyond those skops trusts by default (scikit-learn's
# estimators, numpy arrays): the TF-IDF weights' sparse diagonal.
TRUSTED_TYPES = ["scipy.sparse._csr.csr_matrix"]


class UntrustedModel(Exception):
    """The saved classifier holds a type this class never builds: it is not loaded."""


def _ngram_range(value: Any, key: str) -> tuple:
    if (not isinstance(value, (list, tuple)) or len(value) != 2
            or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in value)
            or value[0] > value[1]):
        raise ValueError(f"LinearIntentClassifier: {key} must be two whole numbers "
                         f"[smallest, largest], not {value!r}")
    return tuple(value)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class LinearIntentClassifier(GraphComponent, IntentClassifier):
    """Intent classifier: TF-IDF of character n-grams and words, then a logistic regression."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "char_ngrams": [2, 5],   # character n-grams within words, smallest and largest
            "word_ngrams": [1, 2],   # words and word pairs
            "C": 100.0,              # inverse strength of the regularisation
            # An intent's examples weigh (examples / (intents x that intent's examples)) to this
            # power: 1 is scikit-learn's "balanced" (every intent weighs the same in total), 0 no
            # reweighting (out_of_scope, by far the largest, weighs most). Chosen by make nlu-cv.
            "class_weight_power": 0.5,
            "max_iter": 3000,
            "random_state": 42,
            "ranking_length": 10,    # intents kept in intent_ranking
        }

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        _ngram_range(config["char_ngrams"], "char_ngrams")
        _ngram_range(config["word_ngrams"], "word_ngrams")
        strength = config["C"]
        if isinstance(strength, bool) or not isinstance(strength, (int, float)) or strength <= 0:
            raise ValueError(f"LinearIntentClassifier: C must be a positive number, not "
                             f"{strength!r}")
        power = config["class_weight_power"]
        if isinstance(power, bool) or not isinstance(power, (int, float)) or not 0 <= power <= 1:
            raise ValueError(f"LinearIntentClassifier: class_weight_power must be a number from "
                             f"0 to 1, not {power!r}")
        for key in ("max_iter", "ranking_length"):
            value = config[key]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"LinearIntentClassifier: {key} must be a whole number, not "
                                 f"{value!r}")

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage,
                 resource: Resource, pipeline: Optional[Any] = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self.validate_config(self.config)
        self._model_storage = model_storage
        self._resource = resource
        self.pipeline = pipeline

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "LinearIntentClassifier":
        return cls(config, model_storage, resource)

    def _new_pipeline(self) -> Any:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import FeatureUnion, Pipeline

        characters = TfidfVectorizer(analyzer="char_wb", sublinear_tf=True,
                                     ngram_range=_ngram_range(self.config["char_ngrams"],
                                                              "char_ngrams"))
        words = TfidfVectorizer(analyzer="word", sublinear_tf=True, token_pattern=r"(?u)\b\w+\b",
                                ngram_range=_ngram_range(self.config["word_ngrams"],
                                                         "word_ngrams"))
        return Pipeline([
            ("features", FeatureUnion([("characters", characters), ("words", words)])),
            ("classifier", LogisticRegression(C=float(self.config["C"]),
                                              max_iter=self.config["max_iter"],
                                              random_state=self.config["random_state"])),
        ])

    def _features(self, messages: List[Message], fit: bool = False) -> Any:
        """The messages' TF-IDF features (the vectorizer fitted on them when `fit`),
        then the sparse sentence features of the featurizers before this one (zeros for a
        message they gave none, such as an empty one)."""
        from scipy.sparse import csr_matrix, hstack

        texts = [message.get(TEXT) or "" for message in messages]
        vectorizer = self.pipeline.named_steps["features"]
        tfidf = vectorizer.fit_transform(texts) if fit else vectorizer.transform(texts)
        sentence = [message.get_sparse_features(TEXT)[1] for message in messages]
        if fit:
            width = max((features.features.shape[1] for features in sentence
                         if features is not None), default=0)
        else:
            width = self.pipeline.named_steps["classifier"].n_features_in_ - tfidf.shape[1]
        if width <= 0:
            return tfidf
        rows = []
        for features in sentence:
            row = [0.0] * width
            if features is not None:
                values = features.features.toarray()[0][:width]
                row[:len(values)] = values
            rows.append(row)
        return hstack([tfidf, csr_matrix(rows)], format="csr")

    def train(self, training_data: TrainingData) -> Resource:
        examples = [example for example in training_data.intent_examples
                    if example.get(INTENT) and example.get(TEXT)]
        intents = [example.get(INTENT) for example in examples]
        if len(set(intents)) < 2:
            logger.warning("LinearIntentClassifier: fewer than two intents to learn (%d); "
                           "no intent classifier trained.", len(set(intents)))
            return self._resource
        self.pipeline = self._new_pipeline()
        counts = Counter(intents)
        power = float(self.config["class_weight_power"])
        self.pipeline.named_steps["classifier"].set_params(class_weight={
            intent: (len(intents) / (len(counts) * count)) ** power
            for intent, count in counts.items()})
        self.pipeline.named_steps["classifier"].fit(self._features(examples, fit=True), intents)
        self.persist()
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        if self.pipeline is None or not messages:
            return messages
        classifier = self.pipeline.named_steps["classifier"]
        probabilities = classifier.predict_proba(self._features(messages))
        length = self.config["ranking_length"]
        for message, row in zip(messages, probabilities):
            ranking = sorted(({"name": str(name), "confidence": float(confidence)}
                              for name, confidence in zip(classifier.classes_, row)),
                             key=lambda item: -item["confidence"])
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking[:length] if length > 0 else ranking,
                        add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    def persist(self) -> None:
        import skops.io as sio

        with self._model_storage.write_to(self._resource) as directory:
            sio.dump(self.pipeline, directory / MODEL_FILE)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "LinearIntentClassifier":
        import skops.io as sio

        try:
            with model_storage.read_from(resource) as directory:
                path = directory / MODEL_FILE
                if not path.is_file():
                    raise ValueError(f"no {MODEL_FILE}")
                untrusted = set(sio.get_untrusted_types(file=path)) - set(TRUSTED_TYPES)
                if untrusted:
                    raise UntrustedModel(f"LinearIntentClassifier: the model file holds types "
                                         f"not trusted: {sorted(untrusted)}")
                pipeline = sio.load(path, trusted=TRUSTED_TYPES)
        except UntrustedModel:
            raise
        except ValueError as error:
            # Trained without two intents (or no model): no intent is read, as with DIET.
            logger.warning("LinearIntentClassifier: no trained classifier in the model (%s).",
                           error)
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, pipeline)
