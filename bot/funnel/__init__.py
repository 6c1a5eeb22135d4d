"""The programme team's funnel: conversations started, diagnostics completed, booked, confirmed by
the person, accompanied, absent; by month, channel, commune and organisation. Counts only.

starts.py records the conversations started; figures.py counts every step; chart.py draws it.
"""
