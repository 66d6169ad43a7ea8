//! Accounts and sessions: passwords, session cookies, CSRF, Google sign-in and connect.
