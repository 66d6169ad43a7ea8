// Starts the app. A file of its own (not an inline script), so a Content-Security-Policy of
// `script-src 'self' 'wasm-unsafe-eval'` allows it. The module's memory is kept on `globalThis` so that
// the memory benchmark (crates/e2e/tests/browser/memory.rs) can read its size.
import init from "/compass_web.js";
init().then((exports) => {
  globalThis.__compassWasmMemory = exports.memory;
  // Only in a `heap-stats` build (scripts/build-web.sh with COMPASS_WEB_FEATURES=heap-stats).
  if (exports.compass_heap_bytes) globalThis.__compassHeapBytes = exports.compass_heap_bytes;
});
