//! One component per file: the building blocks of the pages.

pub mod auth_form;
pub mod command_palette;
pub mod conflicts_dialog;
pub mod connection_status;
pub mod event_form;
pub mod repeat_fields;
pub mod scope_dialog;
pub mod shortcuts_overlay;
pub mod someday_sidebar;
pub mod week_grid;
pub mod week_header;
