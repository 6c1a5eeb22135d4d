"""Prescripteurs: the organisations that orient people (La Poste counters, social landlords,
CCAS, mairies, missions locales), their access codes, and the prescripteur mode."""
