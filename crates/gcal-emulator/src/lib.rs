//! gcal-emulator: a stateful local stand-in for Google Calendar v3 and Google OAuth 2.
