//! The golden-fixture tests of compass-core: every file in `tests/fixtures/` is read and checked here, and
//! `docs/wire-contract.md` is checked against the fixtures.

mod drafts;
mod enums;
mod round_trip;
mod sse_messages;
mod support;
mod tolerant;
mod wire_doc;
