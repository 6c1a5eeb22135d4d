"""Every message the assistant sends on its own, by one path.

An event (a booking made, a structure's cancellation, ...) adds a row to the outbox in its own
transaction (`outbox.add` with the event's notifier); the scheduler runs `npt reminders send`
(`sender.send_due`), which claims the due rows and pushes each into the person's conversation as
its notifier's external intent (`rasa_push`); the notifier's action (actions/notifications.py)
checks it again and says its text (from data) on the person's channel, through the same sending
code as every reply, where a STOP is honoured.

| module | holds |
|---|---|
| notifier.py | what a notifier is (kind, intent, action, booking status, text template) |
| booking_reminder.py, structure_cancelled.py | one notifier each |
| registry.py | every notifier by kind |
| outbox.py | the rows: add, cancel, claim, mark sent / failed / uncertain, counts |
| sender.py | sending what is due |
| rasa_push.py | the push of an external intent into a conversation |
"""
