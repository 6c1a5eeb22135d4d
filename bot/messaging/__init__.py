"""Messages the assistant sends on its own (reminders), through each channel's reply path."""
