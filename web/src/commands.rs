//! The command palette's commands (Ctrl/Cmd+K): what each is called, its shortcut, and filtering by what
//! the person typed. The palette component draws them; the week page runs them.

/// A command the palette offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Go to this week.
    Today,
    /// Go to the previous week.
    PreviousWeek,
    /// Go to the next week.
    NextWeek,
    /// A new timed event.
    NewEvent,
    /// A new all-day event.
    NewAllDayEvent,
    /// Show or hide the someday sidebar.
    ToggleSidebar,
    /// The keyboard shortcut overlay.
    ShowShortcuts,
    /// Connect Google Calendar (not connected).
    ConnectGoogle,
    /// Reconnect Google Calendar (reconnect required).
    ReconnectGoogle,
    /// Re-import Google Calendar (needs repair).
    RepairGoogle,
    /// The sync conflicts dialog (Google connected).
    ShowSyncConflicts,
    /// Sign out.
    SignOut,
    /// Signed out: sign in.
    SignIn,
    /// Signed out: create an account.
    SignUp,
}

impl Command {
    /// What the palette shows.
    pub const fn label(self) -> &'static str {
        match self {
            Command::Today => "Go to Today",
            Command::PreviousWeek => "Go to Previous Week",
            Command::NextWeek => "Go to Next Week",
            Command::NewEvent => "Create Event",
            Command::NewAllDayEvent => "Create All-Day Event",
            Command::ToggleSidebar => "Toggle Sidebar",
            Command::ShowShortcuts => "Show Keyboard Shortcuts",
            Command::ConnectGoogle => "Connect Google Calendar",
            Command::ReconnectGoogle => "Reconnect Google Calendar",
            Command::RepairGoogle => "Repair Google Calendar",
            Command::ShowSyncConflicts => "Show Sync Conflicts",
            Command::SignOut => "Sign Out",
            Command::SignIn => "Log In",
            Command::SignUp => "Sign Up",
        }
    }

    /// The key that does the same outside the palette ("" when none).
    pub const fn shortcut(self) -> &'static str {
        match self {
            Command::Today => "T",
            Command::PreviousWeek => "J",
            Command::NextWeek => "K",
            Command::NewEvent => "C",
            Command::NewAllDayEvent => "A",
            Command::ToggleSidebar => "[",
            Command::ShowShortcuts => "?",
            _ => "",
        }
    }

    /// The element id of its option (for `aria-activedescendant`).
    pub fn option_id(self) -> String {
        let slug: String = self
            .label()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        format!("cmd-{slug}")
    }
}

/// The commands on offer: signed in or not, and the Google items that fit the connection state
/// (`google`: none when Google is not configured or nothing is to be done).
pub fn available(signed_in: bool, google: impl IntoIterator<Item = Command>) -> Vec<Command> {
    let mut commands = vec![
        Command::Today,
        Command::PreviousWeek,
        Command::NextWeek,
        Command::NewEvent,
        Command::NewAllDayEvent,
        Command::ToggleSidebar,
        Command::ShowShortcuts,
    ];
    if signed_in {
        commands.extend(google);
        commands.push(Command::SignOut);
    } else {
        commands.extend([Command::SignUp, Command::SignIn]);
    }
    commands
}

/// The commands whose label contains every word of `query` (case-insensitive), in their order.
///
/// The labels are ASCII, so ASCII case folding is enough (a non-ASCII letter matches no label either
/// way); `str::to_lowercase` would add Unicode's case tables (about 15 KB) to the download.
pub fn filter(commands: &[Command], query: &str) -> Vec<Command> {
    let words: Vec<String> = query
        .split_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    commands
        .iter()
        .copied()
        .filter(|c| {
            let label = c.label().to_ascii_lowercase();
            words.iter().all(|w| label.contains(w.as_str()))
        })
        .collect()
}

/// The next highlighted position after an arrow key (wraps; `None` when nothing matches).
pub fn step(current: usize, len: usize, down: bool) -> Option<usize> {
    if len == 0 {
        return None;
    }
    let current = current.min(len - 1);
    Some(if down {
        (current + 1) % len
    } else {
        (current + len - 1) % len
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_filters_by_every_word() {
        let all = available(true, Some(Command::RepairGoogle));
        assert_eq!(
            filter(&all, "week"),
            vec![Command::PreviousWeek, Command::NextWeek]
        );
        assert_eq!(filter(&all, "  NEXT we "), vec![Command::NextWeek]);
        assert_eq!(filter(&all, "all-day"), vec![Command::NewAllDayEvent]);
        assert_eq!(filter(&all, "repair"), vec![Command::RepairGoogle]);
        assert!(filter(&all, "nothing like this").is_empty());
        assert_eq!(filter(&all, "").len(), all.len());
    }

    #[test]
    fn labels_are_ascii_so_ascii_case_folding_is_enough() {
        let every = available(true, Some(Command::ConnectGoogle))
            .into_iter()
            .chain(available(true, Some(Command::ReconnectGoogle)))
            .chain(available(true, Some(Command::RepairGoogle)))
            .chain(available(true, Some(Command::ShowSyncConflicts)))
            .chain(available(false, None));
        for command in every {
            assert!(command.label().is_ascii(), "{}", command.label());
        }
        assert_eq!(
            filter(&[Command::NewEvent], "CREATE event"),
            [Command::NewEvent]
        );
    }

    #[test]
    fn signed_out_offers_sign_up_and_in_not_google() {
        let out = available(false, Some(Command::ConnectGoogle));
        assert!(out.contains(&Command::SignUp) && out.contains(&Command::SignIn));
        assert!(!out.contains(&Command::SignOut) && !out.contains(&Command::ConnectGoogle));
    }

    #[test]
    fn arrows_wrap() {
        assert_eq!(step(0, 3, true), Some(1));
        assert_eq!(step(2, 3, true), Some(0));
        assert_eq!(step(0, 3, false), Some(2));
        assert_eq!(step(7, 3, false), Some(1));
        assert_eq!(step(0, 0, true), None);
        assert_eq!(
            Command::NewAllDayEvent.option_id(),
            "cmd-create-all-day-event"
        );
    }
}
