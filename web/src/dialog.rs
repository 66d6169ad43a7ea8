//! Keyboard behaviour shared by the modal dialogs: Tab and Shift+Tab stay inside the dialog, and the
//! element that had focus before the dialog opened gets it back when the dialog closes. (Escape is the
//! page's: it closes the top dialog.)

#[cfg(target_arch = "wasm32")]
use leptos::prelude::*;

/// What can take focus inside a dialog.
const FOCUSABLE: &str =
    "button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), a[href]";

/// `on:keydown` of a dialog's outer element: wraps Tab from the last field to the first and Shift+Tab
/// from the first to the last.
pub fn trap_tab(ev: leptos::ev::KeyboardEvent) {
    #[cfg(target_arch = "wasm32")]
    {
        use wasm_bindgen::JsCast as _;
        if ev.key() != "Tab" {
            return;
        }
        let Some(dialog) = ev
            .current_target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        else {
            return;
        };
        let Ok(list) = dialog.query_selector_all(FOCUSABLE) else {
            return;
        };
        let (Some(first), Some(last)) = (list.item(0), list.item(list.length().saturating_sub(1)))
        else {
            return;
        };
        let active = document().active_element();
        let is_active =
            |node: &web_sys::Node| active.as_ref().is_some_and(|a| a.is_same_node(Some(node)));
        let target = if ev.shift_key() && is_active(&first) {
            last
        } else if !ev.shift_key() && is_active(&last) {
            first
        } else {
            return;
        };
        if let Some(element) = target.dyn_ref::<web_sys::HtmlElement>() {
            ev.prevent_default();
            let _ = element.focus();
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = (ev, FOCUSABLE);
}

/// Call in a dialog component: when the dialog goes, focus returns to what had it before.
pub fn restore_focus_on_close() {
    #[cfg(target_arch = "wasm32")]
    {
        let previous = StoredValue::new_local(document().active_element());
        on_cleanup(move || {
            use wasm_bindgen::JsCast as _;
            previous.try_with_value(|element| {
                if let Some(element) = element
                    .as_ref()
                    .and_then(|e| e.dyn_ref::<web_sys::HtmlElement>())
                {
                    if element.is_connected() {
                        let _ = element.focus();
                    }
                }
            });
        });
    }
}
