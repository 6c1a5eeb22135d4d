"""Partner places and their agendas, kept by operators in a data file: `npt partners load`.

The file (YAML, default data/partners/demo.yml) lists the partner places (by the directory's
source and id), each with its agendas (weekly hours, slot length, seats) and closures; see the
comments at the top of data/partners/demo.yml for the format.

- The whole file is checked before anything is written; every problem is reported with the file
  path and where in the file it is (`partners[2].agendas[0].hours[1]`): an unknown place, a
  weekly range outside the place's opening hours (`horaires` of the directory), overlapping or
  invalid times, unknown keys, bad dates.
- The file is loaded in one transaction: nothing is half-loaded.
- The file is the list of partners: a place that is no longer in it stops being a partner (its
  agendas become inactive; its bookings stay and are reported). Loading the same file twice
  changes nothing. Closures added with `npt partners closure add` are kept across loads.

Modules: file.py (reading and checking the file), load.py (writing it into the database),
closures.py (an operator's closure), listing.py (partners, agendas, closures as shown),
database.py (what they read from the database), errors.py. The weekly hours and the opening
hours rule are shared with the back-office's agenda edit: bot/booking/weekly_hours.py.
"""
