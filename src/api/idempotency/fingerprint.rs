//! What identifies a request's content for its `Idempotency-Key`: its path and query and its
//! body, with a multipart body's boundary left out (a client sending the same file again draws
//! a new boundary).

use memchr::memmem;
use sha2::{Digest, Sha256};

/// The SHA-256 of a request, fed its body piece by piece.
pub struct Fingerprint {
    digest: Sha256,
    boundary: Option<Vec<u8>>,
    pending: Vec<u8>,
}

impl Fingerprint {
    /// Starts with the request's path and query; `boundary` is a multipart body's boundary.
    pub fn new(path_and_query: &str, boundary: Option<&str>) -> Self {
        let mut digest = Sha256::new();
        digest.update(path_and_query.as_bytes());
        digest.update([0]);
        Fingerprint {
            digest,
            boundary: boundary
                .filter(|boundary| !boundary.is_empty())
                .map(|boundary| boundary.as_bytes().to_vec()),
            pending: Vec::new(),
        }
    }

    /// Feeds a piece of the body.
    pub fn update(&mut self, piece: &[u8]) {
        let Some(boundary) = &self.boundary else {
            self.digest.update(piece);
            return;
        };
        self.pending.extend_from_slice(piece);
        let mut start = 0;
        for found in memmem::find_iter(&self.pending, boundary) {
            self.digest.update(&self.pending[start..found]);
            start = found + boundary.len();
        }
        // The last bytes may be the beginning of a boundary the next piece completes.
        let keep_from = start.max(self.pending.len().saturating_sub(boundary.len() - 1));
        self.digest.update(&self.pending[start..keep_from]);
        self.pending.drain(..keep_from);
    }

    /// The fingerprint in lower-case hex.
    pub fn finish(mut self) -> String {
        let pending = std::mem::take(&mut self.pending);
        self.digest.update(&pending);
        self.digest
            .finalize()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }
}

/// The boundary of a `multipart/…` content type.
pub fn boundary_of(content_type: &str) -> Option<&str> {
    let (essence, parameters) = content_type.split_once(';')?;
    if !essence
        .trim()
        .to_ascii_lowercase()
        .starts_with("multipart/")
    {
        return None;
    }
    parameters.split(';').find_map(|parameter| {
        let (name, value) = parameter.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn whole(path: &str, boundary: Option<&str>, body: &[u8]) -> String {
        let mut fingerprint = Fingerprint::new(path, boundary);
        fingerprint.update(body);
        fingerprint.finish()
    }

    #[test]
    fn the_same_form_sent_with_two_boundaries_has_one_fingerprint() {
        let form = |b: &str| {
            format!(
                "--{b}\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nNIR;Nom\r\n--{b}--\r\n"
            )
        };
        assert_eq!(
            whole("/v1/imports", Some("XyZ1"), form("XyZ1").as_bytes()),
            whole(
                "/v1/imports",
                Some("other-boundary-42"),
                form("other-boundary-42").as_bytes()
            )
        );
        assert_ne!(
            whole("/v1/imports", Some("XyZ1"), form("XyZ1").as_bytes()),
            whole(
                "/v1/imports",
                Some("XyZ1"),
                form("XyZ1").replace("Nom", "nom").as_bytes()
            )
        );
    }

    #[test]
    fn the_path_and_query_count() {
        assert_ne!(whole("/v1/a", None, b"{}"), whole("/v1/b", None, b"{}"));
        assert_ne!(
            whole("/v1/a?x=1", None, b"{}"),
            whole("/v1/a?x=2", None, b"{}")
        );
        assert_ne!(whole("/v1/a", None, b"{}x"), whole("/v1/a{", None, b"}x"));
    }

    #[test]
    fn a_boundary_is_found_only_in_a_multipart_content_type() {
        assert_eq!(
            boundary_of("multipart/form-data; boundary=\"abc\""),
            Some("abc")
        );
        assert_eq!(
            boundary_of("Multipart/Form-Data;charset=x; BOUNDARY=q1"),
            Some("q1")
        );
        assert_eq!(boundary_of("application/json; boundary=abc"), None);
        assert_eq!(boundary_of("multipart/form-data"), None);
    }

    /// The body with every boundary taken out, the plain way.
    fn without(body: &[u8], boundary: Option<&str>) -> Vec<u8> {
        let Some(boundary) = boundary.map(str::as_bytes) else {
            return body.to_vec();
        };
        let mut out = Vec::new();
        let mut at = 0;
        while at < body.len() {
            if body[at..].starts_with(boundary) {
                at += boundary.len();
            } else {
                out.push(body[at]);
                at += 1;
            }
        }
        out
    }

    proptest! {
        #[test]
        fn any_cut_of_the_body_gives_the_fingerprint_of_the_whole(
            body in proptest::collection::vec(prop_oneof![Just(b'-'), Just(b'a'), Just(b'b'), any::<u8>()], 0..400),
            cuts in proptest::collection::vec(0usize..400, 0..8),
            boundary in prop_oneof![Just(None), Just(Some("--ab")), Just(Some("a")), Just(Some("ab-ab"))],
        ) {
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(body.len())).collect();
            cuts.sort_unstable();
            let mut pieces = Fingerprint::new("/v1/x", boundary);
            let mut start = 0;
            for cut in cuts {
                pieces.update(&body[start..cut]);
                start = cut;
            }
            pieces.update(&body[start..]);
            prop_assert_eq!(pieces.finish(), whole("/v1/x", None, &without(&body, boundary)));
        }

        #[test]
        fn the_fingerprint_ignores_exactly_the_boundary(
            parts in proptest::collection::vec("[a-z]{0,12}", 1..6),
        ) {
            let with = |b: &str| parts.join(b);
            prop_assert_eq!(
                whole("/v1/x", Some("BOUNDARY"), with("BOUNDARY").as_bytes()),
                whole("/v1/x", Some("0123456789"), with("0123456789").as_bytes())
            );
        }
    }
}
