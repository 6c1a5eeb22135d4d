"""Booking at partner places: agendas, free slots, bookings, moves, cancellations.

No Rasa here: the actions, the CLI and the back-office call these functions, each from the
module that holds it (bookings, slots, errors, rules, staff, partners...). Times in and out are
aware datetimes in Europe/Paris; `now` can be given everywhere (tests).
"""
