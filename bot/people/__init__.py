"""People: consent, STOP, erasure, retention, the right of access, identities and first names.
Each importer names the module that holds what it uses (privacy, identity, retention, access...);
the pseudonyms themselves are bot/pseudonyms.py, below every store."""
