"""Domain core of the Numérique pour Tous intake assistant.

Nothing in this package imports Rasa: the action server (`actions/`), the channels
(`connectors/`), the web app and the `npt` command line all call into it.
"""
