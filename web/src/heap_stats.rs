//! The `heap-stats` build (memory benchmark only): a counting global allocator around the system one,
//! and [`compass_heap_bytes`], which JavaScript calls to read how many bytes the app holds on its
//! WebAssembly heap right now. The module's memory size only shows the allocator's high-water mark (it
//! never shrinks); this tells a leak (held bytes growing) from a heap that grew once and is reused.

use std::alloc::System;

#[global_allocator]
static ALLOCATOR: cap::Cap<System> = cap::Cap::new(System, usize::MAX);

/// Bytes currently allocated by the app (as an `f64`, which JavaScript reads without conversion).
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn compass_heap_bytes() -> f64 {
    ALLOCATOR.allocated() as f64
}
