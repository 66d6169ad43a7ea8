//! The recurring-scope dialog: "Apply Changes To" with the options the scope rules allow
//! (`This Event`, `This and Following Events`, `All Events`), Ok and Cancel. Keyboard: the first option
//! takes focus, arrow keys move between radios, Enter confirms, Escape cancels (handled by the page).

use compass_core::UpdateScope;
use leptos::prelude::*;

/// The scope dialog.
#[component]
pub fn ScopeDialog(
    /// The scopes to offer, in order (the first is selected).
    options: Vec<UpdateScope>,
    /// Deleting rather than saving (changes the heading).
    deleting: bool,
    /// A request is running.
    busy: RwSignal<bool>,
    /// The chosen scope.
    #[prop(into)]
    on_choose: Callback<UpdateScope>,
    /// Close without doing anything.
    #[prop(into)]
    on_cancel: Callback<()>,
) -> impl IntoView {
    crate::dialog::restore_focus_on_close();
    let first = options.first().copied().unwrap_or(UpdateScope::ThisEvent);
    let chosen = RwSignal::new(first);
    let first_radio = NodeRef::<leptos::html::Input>::new();
    crate::after_mount(move || {
        if let Some(input) = first_radio.get() {
            let _ = input.focus();
        }
    });
    let radios = options
        .into_iter()
        .enumerate()
        .map(|(i, scope)| {
            let id = format!("scope-{i}");
            let node = NodeRef::<leptos::html::Input>::new();
            let node = if i == 0 { first_radio } else { node };
            view! {
                <div class="radio">
                    <input
                        id=id.clone()
                        type="radio"
                        name="scope"
                        value=scope.as_str()
                        node_ref=node
                        prop:checked=move || chosen.get() == scope
                        on:change=move |_| chosen.set(scope)
                    />
                    <label for=id>{scope.as_str()}</label>
                </div>
            }
        })
        .collect_view();
    view! {
        <div class="backdrop">
            <div class="dialog narrow" role="dialog" aria-modal="true" aria-labelledby="scope-heading" on:keydown=crate::dialog::trap_tab>
                <form on:submit=move |ev| {
                    ev.prevent_default();
                    if !busy.get_untracked() {
                        on_choose.run(chosen.get_untracked());
                    }
                }>
                    <h2 id="scope-heading">
                        {if deleting { "Delete recurring event" } else { "Save recurring event" }}
                    </h2>
                    <fieldset>
                        <legend>"Apply Changes To"</legend>
                        {radios}
                    </fieldset>
                    <div class="actions">
                        <span class="spacer"></span>
                        <button type="button" on:click=move |_| on_cancel.run(())>"Cancel"</button>
                        <button type="submit" class="primary" disabled=move || busy.get()>"Ok"</button>
                    </div>
                </form>
            </div>
        </div>
    }
}
