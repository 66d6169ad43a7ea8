//! The command palette (Ctrl/Cmd+K): a modal dialog with a search field (`role="combobox"`) over a
//! `role="listbox"` of commands. Typing filters, Arrow Up/Down move the highlight, Enter runs it, a click
//! runs one, Escape closes (the page's Escape handler); focus stays in the field and returns to where it
//! was when the palette closes.

use leptos::prelude::*;

use crate::commands::{filter, step, Command};

/// The palette.
#[component]
pub fn CommandPalette(
    /// What it offers.
    commands: Vec<Command>,
    /// Runs a command (the page closes the palette first).
    #[prop(into)]
    on_run: Callback<Command>,
    /// Closes it without running anything.
    #[prop(into)]
    on_close: Callback<()>,
) -> impl IntoView {
    crate::dialog::restore_focus_on_close();
    let query = RwSignal::new(String::new());
    let active = RwSignal::new(0usize);
    let shown = Memo::new(move |_| query.with(|q| filter(&commands, q)));
    let input = NodeRef::<leptos::html::Input>::new();
    crate::after_mount(move || {
        if let Some(input) = input.get() {
            let _ = input.focus();
        }
    });
    let highlighted = move || {
        shown.with(|list| {
            list.get(active.get().min(list.len().saturating_sub(1)))
                .copied()
        })
    };
    let keydown = move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        "ArrowDown" | "ArrowUp" => {
            ev.prevent_default();
            let len = shown.with(Vec::len);
            if let Some(next) = step(active.get_untracked(), len, ev.key() == "ArrowDown") {
                active.set(next);
            }
        }
        "Enter" => {
            ev.prevent_default();
            if let Some(command) = highlighted() {
                on_run.run(command);
            }
        }
        // One field only: Tab stays in it (focus trapped).
        "Tab" => ev.prevent_default(),
        _ => {}
    };
    view! {
        <div class="backdrop palette-backdrop" on:click=move |_| on_close.run(())>
            <div
                class="dialog palette"
                role="dialog"
                aria-modal="true"
                aria-label="Command palette"
                on:click=|ev| ev.stop_propagation()
            >
                <input
                    type="text"
                    class="palette-input"
                    role="combobox"
                    aria-label="Type a command"
                    placeholder="Type a command…"
                    aria-expanded="true"
                    aria-controls="palette-list"
                    aria-autocomplete="list"
                    autocomplete="off"
                    aria-activedescendant=move || highlighted().map(Command::option_id).unwrap_or_default()
                    node_ref=input
                    prop:value=move || query.get()
                    on:input=move |ev| {
                        query.set(event_target_value(&ev));
                        active.set(0);
                    }
                    on:keydown=keydown
                />
                <ul id="palette-list" role="listbox" aria-label="Commands">
                    {move || {
                        let current = highlighted();
                        let list = shown.get();
                        if list.is_empty() {
                            return view! { <li class="palette-empty" role="presentation">"No matching commands"</li> }.into_any();
                        }
                        list.into_iter()
                            .map(|command| {
                                let selected = current == Some(command);
                                view! {
                                    <li
                                        id=command.option_id()
                                        role="option"
                                        aria-selected=selected.to_string()
                                        class:active=selected
                                        on:mousedown=|ev| ev.prevent_default()
                                        on:click=move |_| on_run.run(command)
                                    >
                                        <span>{command.label()}</span>
                                        {(!command.shortcut().is_empty()).then(|| view! { <kbd>{command.shortcut()}</kbd> })}
                                    </li>
                                }
                            })
                            .collect_view()
                            .into_any()
                    }}
                </ul>
            </div>
        </div>
    }
}
