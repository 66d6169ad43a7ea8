//! Precompressed copies of the web app's content-hashed assets. `scripts/build-web.sh release` writes
//! `<asset>.br` (brotli, quality 11) and `<asset>.gz` (zopfli) beside each hashed asset; a request that
//! accepts one of those encodings gets that file as it is, with its `Content-Encoding`. The download is
//! smaller than what the compression middleware's fast levels produce (the wasm: 280 KB with zopfli
//! against about 330 KB at gzip level 1) and no CPU is spent compressing per request. Without the files
//! (debug builds) the middleware compresses as before.

use std::path::{Path, PathBuf};

use actix_files::NamedFile;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{ContentEncoding, HeaderMap, HeaderValue, ACCEPT_ENCODING, VARY};

/// The encodings tried, in the server's order of preference, with the file suffix each is stored under.
const VARIANTS: [(ContentEncoding, &str); 2] = [
    (ContentEncoding::Brotli, "br"),
    (ContentEncoding::Gzip, "gz"),
];

/// A stored, precompressed copy of an asset that the request accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    /// The compressed file.
    pub path: PathBuf,
    /// Its encoding (the `Content-Encoding` answered).
    pub encoding: ContentEncoding,
    /// The asset's own extension (`js`, `wasm`, `css`): its `Content-Type`.
    pub extension: String,
}

/// The precompressed copy of the hashed asset at `request_path` (e.g. `/app.<hash>.wasm`, already
/// checked by `is_hashed_asset`: one file name, no directories) that `headers` accept, if one is stored
/// in `dir`.
pub fn variant(dir: &Path, request_path: &str, headers: &HeaderMap) -> Option<Variant> {
    let file = request_path.strip_prefix('/')?;
    let extension = file.rsplit_once('.')?.1.to_owned();
    let accept = headers.get(ACCEPT_ENCODING)?.to_str().ok()?;
    VARIANTS
        .iter()
        .filter(|(encoding, _)| accepts(accept, encoding.as_str()))
        .map(|(encoding, suffix)| (*encoding, dir.join(format!("{file}.{suffix}"))))
        .find(|(_, path)| path.is_file())
        .map(|(encoding, path)| Variant {
            path,
            encoding,
            extension,
        })
}

/// Answers `req` with the precompressed file (`Vary: Accept-Encoding`, the original's content type, no
/// `Content-Disposition`); the caller adds the caching headers.
pub async fn respond(req: ServiceRequest, variant: Variant) -> actix_web::Result<ServiceResponse> {
    let (req, _) = req.into_parts();
    let file = NamedFile::open_async(&variant.path)
        .await?
        .set_content_type(actix_files::file_extension_to_mime(&variant.extension))
        .set_content_encoding(variant.encoding)
        .disable_content_disposition();
    let mut response = file.into_response(&req);
    response
        .headers_mut()
        .insert(VARY, HeaderValue::from_static("accept-encoding"));
    Ok(ServiceResponse::new(req, response))
}

/// Whether an `Accept-Encoding` value accepts `coding` by name (`q=0` refuses it; `*` is not taken as a
/// yes: browsers always name the codings they support).
fn accepts(accept_encoding: &str, coding: &str) -> bool {
    accept_encoding.split(',').any(|item| {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or_default().trim();
        name.eq_ignore_ascii_case(coding) && !parts.any(|param| refuses(param.trim()))
    })
}

/// `q=0` (or `q=0.0`, ...): "not acceptable".
fn refuses(param: &str) -> bool {
    let Some((key, value)) = param.split_once('=') else {
        return false;
    };
    key.trim().eq_ignore_ascii_case("q") && value.trim().parse::<f32>().is_ok_and(|q| q <= 0.0)
}

#[cfg(test)]
mod tests {
    use super::accepts;

    #[test]
    fn accept_encoding_is_read_by_name_and_weight() {
        assert!(accepts("gzip, deflate, br, zstd", "br"));
        assert!(accepts("gzip, deflate, br, zstd", "gzip"));
        assert!(accepts("GZIP;q=0.5", "gzip"));
        assert!(!accepts("gzip;q=0, br", "gzip"));
        assert!(!accepts("gzip; q=0.000", "gzip"));
        assert!(!accepts("deflate", "gzip"));
        assert!(!accepts("*", "br"));
        assert!(!accepts("xgzip", "gzip"));
        assert!(!accepts("", "gzip"));
    }
}
