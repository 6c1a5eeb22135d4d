"""What the channels keep and how they write: the SMS store (inbound claimed before processing,
outbound with its segments and delivery status), the Telegram updates store, the choices offered
in each chat, the SMS text rendering (GSM-7, numbered choices) and the Telegram webhook setup.
The connectors (connectors/) use them; nothing here imports a connector."""
