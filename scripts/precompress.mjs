// Writes the precompressed copies of a release build's content-hashed assets that the server sends as they
// are (crates/backend/src/http/web_app_encoded.rs): `<file>.gz` with zopfli (gzip format, about 5 % smaller
// than gzip -9) and `<file>.br` with brotli at quality 11 (Node's own zlib). Run by scripts/build-web.sh:
//   node scripts/precompress.mjs <zopfli package dir> <file>...
// Prints one line per file (bytes, .gz, .br) and the totals; exits non-zero on any failure.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, join } from "node:path";
import zlib from "node:zlib";

const [zopfliDir, ...files] = process.argv.slice(2);
if (!zopfliDir || files.length === 0) {
    console.error("usage: node scripts/precompress.mjs <zopfli package dir> <file>...");
    process.exit(2);
}
const { gzipAsync } = createRequire(join(zopfliDir, "package.json"))(zopfliDir);

let plain = 0, gz = 0, br = 0;
for (const file of files) {
    const data = readFileSync(file);
    const gzipped = await gzipAsync(data, { numiterations: 15 });
    const brotli = zlib.brotliCompressSync(data, {
        params: {
            [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
            [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length,
        },
    });
    // A copy that decodes to something else would break the app: check both before writing them.
    if (!zlib.gunzipSync(gzipped).equals(data) || !zlib.brotliDecompressSync(brotli).equals(data)) {
        console.error(`precompress: a compressed copy of ${file} does not decode to it`);
        process.exit(1);
    }
    writeFileSync(`${file}.gz`, gzipped);
    writeFileSync(`${file}.br`, brotli);
    plain += data.length; gz += gzipped.length; br += brotli.length;
    console.log(`precompress: ${basename(file)} ${data.length} B, .gz ${gzipped.length} B, .br ${brotli.length} B`);
}
console.log(`precompress: total ${plain} B, .gz ${gz} B, .br ${br} B`);
