//! The keyboard shortcut overlay (`?`).

use leptos::prelude::*;

/// The shortcuts of the week view: key and what it does.
pub const SHORTCUTS: [(&str, &str); 8] = [
    ("J", "Previous week"),
    ("K", "Next week"),
    ("T", "Today"),
    ("C", "New event"),
    ("A", "New all-day event"),
    ("[", "Show or hide the someday sidebar"),
    ("?", "Show or hide these shortcuts"),
    ("Escape", "Close a dialog"),
];

/// The overlay.
#[component]
pub fn ShortcutsOverlay(
    /// Close it.
    #[prop(into)]
    on_close: Callback<()>,
) -> impl IntoView {
    crate::dialog::restore_focus_on_close();
    let close = NodeRef::<leptos::html::Button>::new();
    crate::after_mount(move || {
        if let Some(button) = close.get() {
            let _ = button.focus();
        }
    });
    view! {
        <div class="backdrop">
            <div class="dialog narrow" role="dialog" aria-modal="true" aria-labelledby="shortcuts-heading" on:keydown=crate::dialog::trap_tab>
                <h2 id="shortcuts-heading">"Keyboard shortcuts"</h2>
                <dl class="shortcuts">
                    {SHORTCUTS
                        .iter()
                        .map(|(key, what)| view! {
                            <dt><kbd>{*key}</kbd></dt>
                            <dd>{*what}</dd>
                        })
                        .collect_view()}
                </dl>
                <div class="actions">
                    <span class="spacer"></span>
                    <button type="button" class="primary" node_ref=close on:click=move |_| on_close.run(())>
                        "Close"
                    </button>
                </div>
            </div>
        </div>
    }
}
