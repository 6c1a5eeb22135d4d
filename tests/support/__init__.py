"""What several test files share: constants, helpers and fixtures, one module per subject.

Test files import from here, never from one another. The fixtures among these are exposed to
every test through tests/conftest.py (`pytest_plugins`).
"""
