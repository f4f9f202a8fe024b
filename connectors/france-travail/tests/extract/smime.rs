//! S/MIME (CMS EnvelopedData, DER) extract files, made with the `openssl` command line (see
//! `tests/fixtures/README.md`): decrypted with the test key, refused with a typed reason
//! otherwise.

use cdb_france_travail::extract::parse_principal;
use cdb_france_travail::smime::{DecryptError, DecryptionKey, is_enveloped};

use crate::fixture;

/// A file of `tests/fixtures` (the encrypted files and the test keys).
fn encrypted(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn key(name: &str) -> DecryptionKey {
    DecryptionKey::from_pem(&String::from_utf8(encrypted(name)).unwrap()).unwrap()
}

#[test]
fn aes_and_3des_extracts_decrypt_to_the_clear_file_with_either_pem_form() {
    let clear = fixture("principal.csv");
    for key_file in ["test_key_pkcs8.pem", "test_key_pkcs1.pem"] {
        let key = key(key_file);
        for file in [
            "principal.aes256.p7m",
            "principal.aes128.p7m",
            "principal.des3.p7m",
        ] {
            let bytes = encrypted(file);
            assert!(is_enveloped(&bytes), "{file}");
            assert_eq!(
                key.decrypt(&bytes).unwrap(),
                clear,
                "{file} with {key_file}"
            );
        }
    }
    let opened = key("test_key_pkcs8.pem")
        .decrypt(&encrypted("principal.aes256.p7m"))
        .unwrap();
    assert_eq!(parse_principal(&opened).unwrap().rows.len(), 4);
}

#[test]
fn another_key_of_the_same_size_cannot_decrypt() {
    let other = key("other_key.pem");
    assert_eq!(
        other.decrypt(&encrypted("principal.aes256.p7m")),
        Err(DecryptError::Undecryptable)
    );
    assert!(format!("{other:?}").starts_with("DecryptionKey(RSA 2048"));
}

#[test]
fn clear_truncated_and_other_cms_files_are_refused_with_their_reason() {
    let key = key("test_key_pkcs8.pem");
    let clear = fixture("principal.csv");
    assert!(!is_enveloped(&clear));
    assert!(matches!(key.decrypt(&clear), Err(DecryptError::NotDer(_))));
    let whole = encrypted("principal.aes256.p7m");
    for cut in [1, 100, whole.len() / 2, whole.len() - 1] {
        assert!(
            matches!(key.decrypt(&whole[..cut]), Err(DecryptError::NotDer(_))),
            "cut at {cut}"
        );
    }
    assert_eq!(
        key.decrypt(&encrypted("principal.signed.p7m")),
        Err(DecryptError::NotEnvelopedData(
            "1.2.840.113549.1.7.2".into()
        ))
    );
    assert_eq!(
        key.decrypt(&encrypted("principal.oaep.p7m")),
        Err(DecryptError::UnsupportedAlgorithm {
            what: "key transport",
            oid: "1.2.840.113549.1.1.7".into()
        })
    );
}

#[test]
fn an_altered_ciphertext_gets_the_same_answer_as_a_wrong_key() {
    let key = key("test_key_pkcs8.pem");
    let mut altered = encrypted("principal.aes256.p7m");
    let last = altered.len() - 1;
    // The last byte of the last block: its padding no longer reads, which must not show.
    altered[last] ^= 0x5a;
    let error = key.decrypt(&altered).unwrap_err();
    assert_eq!(error, DecryptError::Undecryptable);
    let wrong_key = self::key("other_key.pem")
        .decrypt(&encrypted("principal.aes256.p7m"))
        .unwrap_err();
    assert_eq!(error.to_string(), wrong_key.to_string());
}

#[test]
fn keys_that_are_not_rsa_pem_are_refused_without_showing_them() {
    let error = DecryptionKey::from_pem(
        "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n",
    )
    .unwrap_err()
    .to_string();
    assert!(!error.contains("c2VjcmV0"), "{error}");
    assert!(
        DecryptionKey::from_pem(&String::from_utf8(encrypted("test_cert.pem")).unwrap()).is_err()
    );
}
