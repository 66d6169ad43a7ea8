// Starts the app. A file of its own (not an inline script), so a Content-Security-Policy of
// `script-src 'self' 'wasm-unsafe-eval'` allows it.
import init from "/compass_web.js";
init();
