//! e2e: browser tests of the Compass web app. The tests live in `tests/browser/`; this library is empty.
