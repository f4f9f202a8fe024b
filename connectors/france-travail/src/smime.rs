//! S/MIME decryption of the weekly extract files: France Travail sends them as CMS
//! EnvelopedData (DER), the content key sealed for the département's RSA certificate.
//!
//! Supported: key transport RSA PKCS#1 v1.5 (`rsaEncryption`, what `openssl cms -encrypt`
//! uses by default); content AES-128/192/256-CBC and DES-EDE3-CBC. Anything else is refused
//! with its OID so that an operator knows what was received.
//!
//! Once the private key is used, every failure is the one [`DecryptError::Undecryptable`]
//! and the RSA unwrap uses implicit rejection (a failed unwrap goes on with a stand-in key):
//! the hub decrypts files anyone can upload, and a reply that told a bad RSA padding from a
//! bad content padding would let them decrypt a captured extract one query at a time.
//! What stays: the `rsa` crate's own arithmetic is not constant time (RUSTSEC-2023-0071),
//! which blinding mitigates but does not remove.
//!
//! ```no_run
//! use cdb_france_travail::smime::DecryptionKey;
//!
//! # fn run(pem: &str, file: &[u8]) -> Result<(), Box<dyn std::error::Error>> {
//! let key = DecryptionKey::from_pem(pem)?;
//! let csv = key.decrypt(file)?;
//! # let _ = csv;
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::hint::black_box;

use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockDecryptMut, BlockSizeUser, KeyIvInit, KeySizeUser};
use cms::content_info::ContentInfo;
use cms::enveloped_data::{EnvelopedData, RecipientInfo};
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::rand_core::OsRng;
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use rsa::{Pkcs1v15Encrypt, RsaPrivateKey};
use sha2::{Digest, Sha256};
use thiserror::Error;

/// `id-envelopedData` (RFC 5652).
const ENVELOPED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.3");
/// `rsaEncryption`: RSA PKCS#1 v1.5 key transport.
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
/// `aes128-CBC`.
const AES_128_CBC: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.1.2");
/// `aes192-CBC`.
const AES_192_CBC: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.1.22");
/// `aes256-CBC`.
const AES_256_CBC: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.1.42");
/// `des-ede3-cbc`.
const DES_EDE3_CBC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.3.7");

/// Domain separation of the implicit-rejection secret, so that the hash of the private
/// exponent it is made from serves no other purpose.
const REJECTION_LABEL: &[u8] = b"cdb-hub/smime/pkcs1v15-implicit-rejection/v1";

/// Why a private key could not be read.
#[derive(Debug, Error)]
pub enum KeyError {
    /// Neither a PKCS#8 (`BEGIN PRIVATE KEY`) nor a PKCS#1 (`BEGIN RSA PRIVATE KEY`) PEM
    /// RSA key; the message never holds key material.
    #[error("not an RSA private key in PEM (PKCS#8 or PKCS#1): {0}")]
    NotAnRsaKey(String),
}

/// Why an extract could not be decrypted.
///
/// Every variant but [`DecryptError::Undecryptable`] is decided from the file's structure
/// alone, before the private key is used. Once the key is used, every failure (the content
/// key does not unwrap, has the wrong length, the content's padding is bad…) is the one
/// `Undecryptable` value: telling them apart would be a padding oracle (Bleichenbacher on
/// the RSA key transport, Vaudenay on the CBC content) that decrypts files sent to us.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum DecryptError {
    /// The bytes are not a DER CMS structure (or are truncated).
    #[error("not a DER CMS structure: {0}")]
    NotDer(String),
    /// A CMS structure, but not enveloped data (signed data, for instance).
    #[error("CMS content of type {0} is not enveloped data")]
    NotEnvelopedData(String),
    /// No RSA key-transport recipient of the file has a key of this key's size.
    #[error("no recipient of the file matches this private key")]
    NoRecipient,
    /// An algorithm this module does not implement.
    #[error("unsupported {what} algorithm {oid}")]
    UnsupportedAlgorithm {
        /// `key transport` or `content encryption`.
        what: &'static str,
        /// The algorithm's OID.
        oid: String,
    },
    /// The algorithm's parameters are not an IV of the right length.
    #[error("the initialisation vector of {0} is missing or malformed")]
    BadParameters(String),
    /// The content is absent (detached enveloped data).
    #[error("the enveloped data carries no encrypted content")]
    NoContent,
    /// The file is well formed but does not open with this key: sealed for another key of
    /// the same size, or altered. Deliberately without detail (see the type's doc).
    #[error("the extract could not be decrypted with this instance's key")]
    Undecryptable,
}

/// An RSA private key that opens extract files; its `Debug` shows no key material.
pub struct DecryptionKey {
    key: RsaPrivateKey,
    /// Secret from which a stand-in content key is derived when the RSA unwrap fails
    /// (implicit rejection); made from the private exponent so that nobody else can predict
    /// the stand-in, and fixed for the key so that a replayed file gets the same one.
    rejection_secret: [u8; 32],
}

impl fmt::Debug for DecryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DecryptionKey(RSA {} bits)", self.key.size() * 8)
    }
}

impl DecryptionKey {
    /// Reads a PEM RSA private key, PKCS#8 or PKCS#1.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let pem = pem.trim();
        let key = RsaPrivateKey::from_pkcs8_pem(pem)
            .map_err(|e| e.to_string())
            .or_else(|pkcs8| {
                RsaPrivateKey::from_pkcs1_pem(pem)
                    .map_err(|pkcs1| format!("PKCS#8: {pkcs8}; PKCS#1: {pkcs1}"))
            })
            .map_err(KeyError::NotAnRsaKey)?;
        let mut exponent = key.d().to_bytes_be();
        let rejection_secret = Sha256::new()
            .chain_update(REJECTION_LABEL)
            .chain_update(&exponent)
            .finalize()
            .into();
        // The copy of the exponent should not outlive its use; black_box keeps the
        // overwrite from being optimised away as a dead store.
        exponent.fill(0);
        black_box(&exponent);
        Ok(Self {
            key,
            rejection_secret,
        })
    }

    /// Decrypts a DER CMS EnvelopedData file into its content.
    pub fn decrypt(&self, der: &[u8]) -> Result<Vec<u8>, DecryptError> {
        let info = ContentInfo::from_der(der).map_err(|e| DecryptError::NotDer(e.to_string()))?;
        if info.content_type != ENVELOPED_DATA {
            return Err(DecryptError::NotEnvelopedData(
                info.content_type.to_string(),
            ));
        }
        let enveloped: EnvelopedData = info
            .content
            .decode_as()
            .map_err(|e| DecryptError::NotDer(e.to_string()))?;
        // Everything that can be refused from the structure is refused before the private
        // key is used, so that what follows has a single outcome for any failure.
        let encrypted = &enveloped.encrypted_content;
        let algorithm = &encrypted.content_enc_alg;
        let cipher = ContentCipher::from_oid(algorithm.oid).ok_or_else(|| {
            DecryptError::UnsupportedAlgorithm {
                what: "content encryption",
                oid: algorithm.oid.to_string(),
            }
        })?;
        let iv = iv(algorithm.oid, algorithm.parameters.as_ref())?;
        if iv.len() != cipher.block_len() {
            return Err(DecryptError::BadParameters(algorithm.oid.to_string()));
        }
        let ciphertext = encrypted
            .encrypted_content
            .as_ref()
            .ok_or(DecryptError::NoContent)?
            .as_bytes();
        let sealed_keys = self.candidates(&enveloped)?;
        // Each candidate is opened the same way whether its RSA unwrap succeeded or not (a
        // stand-in key takes the place of a failed one), so that neither the outcome nor the
        // work done tells an unwrap failure from a content failure. A wrong candidate's key,
        // real or stand-in, fails the content padding but for about 1 time in 256, when it
        // yields garbage: the price of CBC without integrity, the same for both.
        for sealed in sealed_keys {
            let content_key = self.unwrap_content_key(sealed, cipher.key_len());
            if let Some(clear) = cipher.decrypt(&content_key, &iv, ciphertext) {
                return Ok(clear);
            }
        }
        Err(DecryptError::Undecryptable)
    }

    /// The sealed content keys this key may open, in the file's order. The file names its
    /// recipients by certificate, which the hub does not keep: each RSA key-transport
    /// recipient whose sealed key has our modulus' size is a candidate.
    fn candidates<'a>(&self, enveloped: &'a EnvelopedData) -> Result<Vec<&'a [u8]>, DecryptError> {
        let mut unsupported = None;
        let mut sealed_keys = Vec::new();
        for recipient in enveloped.recip_infos.0.iter() {
            let RecipientInfo::Ktri(ktri) = recipient else {
                continue;
            };
            if ktri.key_enc_alg.oid != RSA_ENCRYPTION {
                unsupported = Some(ktri.key_enc_alg.oid);
                continue;
            }
            let sealed = ktri.enc_key.as_bytes();
            if sealed.len() == self.key.size() {
                sealed_keys.push(sealed);
            }
        }
        if !sealed_keys.is_empty() {
            return Ok(sealed_keys);
        }
        Err(match unsupported {
            Some(oid) => DecryptError::UnsupportedAlgorithm {
                what: "key transport",
                oid: oid.to_string(),
            },
            None => DecryptError::NoRecipient,
        })
    }

    /// The content key sealed in `sealed`, of `len` bytes, with implicit rejection: when the
    /// RSA PKCS#1 v1.5 unwrap fails or gives a key of another length, a stand-in key derived
    /// from the rejection secret and `sealed` is answered instead, and the caller cannot
    /// tell (RFC 3218 § 2.3). The unwrap is blinded against timing on the RSA operation.
    fn unwrap_content_key(&self, sealed: &[u8], len: usize) -> Vec<u8> {
        let mut key = self.stand_in_key(sealed, len);
        let unwrapped = self
            .key
            .decrypt_blinded(&mut OsRng, Pkcs1v15Encrypt, sealed)
            .unwrap_or_default();
        // The real key replaces the stand-in byte by byte under a mask rather than through a
        // branch, so that the work after the unwrap does not depend on its outcome.
        let keep_real = u8::from(unwrapped.len() == len);
        let mask = black_box(0u8.wrapping_sub(keep_real));
        for (i, byte) in key.iter_mut().enumerate() {
            let real = unwrapped.get(i).copied().unwrap_or(0);
            *byte = (real & mask) | (*byte & !mask);
        }
        key
    }

    /// The stand-in content key for `sealed`: `len` bytes (at most 32) of SHA-256 over the
    /// rejection secret, the length and the sealed key.
    fn stand_in_key(&self, sealed: &[u8], len: usize) -> Vec<u8> {
        let digest = Sha256::new()
            .chain_update(self.rejection_secret)
            .chain_update(len.to_be_bytes())
            .chain_update(sealed)
            .finalize();
        digest.iter().copied().take(len).collect()
    }
}

/// A content-encryption algorithm this module implements.
#[derive(Debug, Clone, Copy)]
enum ContentCipher {
    /// AES-128-CBC.
    Aes128,
    /// AES-192-CBC.
    Aes192,
    /// AES-256-CBC.
    Aes256,
    /// DES-EDE3-CBC.
    DesEde3,
}

impl ContentCipher {
    /// The algorithm of an OID, if implemented.
    fn from_oid(oid: ObjectIdentifier) -> Option<Self> {
        match oid {
            AES_128_CBC => Some(Self::Aes128),
            AES_192_CBC => Some(Self::Aes192),
            AES_256_CBC => Some(Self::Aes256),
            DES_EDE3_CBC => Some(Self::DesEde3),
            _ => None,
        }
    }

    /// Bytes of its key.
    fn key_len(self) -> usize {
        match self {
            Self::Aes128 => aes::Aes128::key_size(),
            Self::Aes192 => aes::Aes192::key_size(),
            Self::Aes256 => aes::Aes256::key_size(),
            Self::DesEde3 => des::TdesEde3::key_size(),
        }
    }

    /// Bytes of its block, and so of its IV.
    fn block_len(self) -> usize {
        match self {
            Self::Aes128 | Self::Aes192 | Self::Aes256 => aes::Aes128::block_size(),
            Self::DesEde3 => des::TdesEde3::block_size(),
        }
    }

    /// The clear content, or `None` whatever went wrong: the caller must not learn why.
    fn decrypt(self, key: &[u8], iv: &[u8], ciphertext: &[u8]) -> Option<Vec<u8>> {
        match self {
            Self::Aes128 => cbc_decrypt::<aes::Aes128>(key, iv, ciphertext),
            Self::Aes192 => cbc_decrypt::<aes::Aes192>(key, iv, ciphertext),
            Self::Aes256 => cbc_decrypt::<aes::Aes256>(key, iv, ciphertext),
            Self::DesEde3 => cbc_decrypt::<des::TdesEde3>(key, iv, ciphertext),
        }
    }
}

/// The IV of a CBC algorithm: its parameters, an OCTET STRING.
fn iv(oid: ObjectIdentifier, parameters: Option<&der::Any>) -> Result<Vec<u8>, DecryptError> {
    let bad = || DecryptError::BadParameters(oid.to_string());
    let parameters = parameters.ok_or_else(bad)?;
    let der = parameters.to_der().map_err(|_| bad())?;
    let iv = OctetString::from_der(&der).map_err(|_| bad())?;
    Ok(iv.as_bytes().to_vec())
}

/// CBC decryption and PKCS#7 unpadding; `None` for any failure, a bad key or IV length
/// included (the caller has checked both, so that only the padding can fail here).
fn cbc_decrypt<C>(key: &[u8], iv: &[u8], ciphertext: &[u8]) -> Option<Vec<u8>>
where
    C: aes::cipher::BlockCipher + BlockDecryptMut + aes::cipher::KeyInit,
{
    let decryptor = cbc::Decryptor::<C>::new_from_slices(key, iv).ok()?;
    let mut buffer = ciphertext.to_vec();
    let clear = decryptor
        .decrypt_padded_mut::<Pkcs7>(&mut buffer)
        .ok()?
        .len();
    buffer.truncate(clear);
    Some(buffer)
}

/// True when the bytes look like CMS enveloped data (a DER `ContentInfo` of that type),
/// whatever key opens them: how a received file is told apart from a clear CSV.
pub fn is_enveloped(bytes: &[u8]) -> bool {
    ContentInfo::from_der(bytes).is_ok_and(|info| info.content_type == ENVELOPED_DATA)
}

#[cfg(test)]
mod tests {
    use std::ops::Range;

    use rsa::RsaPublicKey;

    use super::*;

    /// A file of `tests/fixtures` (the encrypted files and the test keys).
    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn key(name: &str) -> DecryptionKey {
        DecryptionKey::from_pem(&String::from_utf8(fixture(name)).unwrap()).unwrap()
    }

    /// Where `part` lies in `whole` (each is found once in these files).
    fn span(whole: &[u8], part: &[u8]) -> Range<usize> {
        let start = whole
            .windows(part.len())
            .position(|window| window == part)
            .unwrap();
        start..start + part.len()
    }

    fn enveloped(der: &[u8]) -> EnvelopedData {
        ContentInfo::from_der(der)
            .unwrap()
            .content
            .decode_as()
            .unwrap()
    }

    /// The bytes of the first recipient's sealed content key in the file.
    fn sealed_key_span(der: &[u8]) -> Range<usize> {
        let enveloped = enveloped(der);
        let RecipientInfo::Ktri(ktri) = &enveloped.recip_infos.0.as_slice()[0] else {
            panic!("not key transport");
        };
        span(der, ktri.enc_key.as_bytes())
    }

    /// The bytes of the encrypted content in the file.
    fn ciphertext_span(der: &[u8]) -> Range<usize> {
        let enveloped = enveloped(der);
        let content = enveloped.encrypted_content.encrypted_content.unwrap();
        span(der, content.as_bytes())
    }

    /// The file with its sealed content key replaced by `content_key` sealed for the test
    /// key: a well-formed PKCS#1 v1.5 block that does not hold the right key.
    fn resealed(der: &[u8], content_key: &[u8]) -> Vec<u8> {
        let public = RsaPublicKey::from(&key("test_key_pkcs8.pem").key);
        let sealed = public
            .encrypt(&mut OsRng, Pkcs1v15Encrypt, content_key)
            .unwrap();
        let mut altered = der.to_vec();
        let at = sealed_key_span(der);
        assert_eq!(at.len(), sealed.len());
        altered[at].copy_from_slice(&sealed);
        altered
    }

    #[test]
    fn text_is_not_der_and_a_key_that_is_not_pem_is_refused() {
        assert!(!is_enveloped(b"identifiant_unique_de;nom\n"));
        assert!(DecryptionKey::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n").is_err());
    }

    #[test]
    fn wrong_key_and_tampered_files_fail_with_one_indistinguishable_error() {
        let file = fixture("principal.aes256.p7m");
        let right = key("test_key_pkcs8.pem");
        assert!(right.decrypt(&file).is_ok());

        let content = ciphertext_span(&file);
        let sealed = sealed_key_span(&file);
        let flipped = |at: usize| {
            let mut altered = file.clone();
            altered[at] ^= 0x5a;
            altered
        };
        let failures = [
            ("wrong key", key("other_key.pem").decrypt(&file)),
            (
                "last byte of the last block",
                right.decrypt(&flipped(content.end - 1)),
            ),
            (
                "first byte of the last block",
                right.decrypt(&flipped(content.end - 16)),
            ),
            (
                "a byte of the sealed key",
                right.decrypt(&flipped(sealed.start + sealed.len() / 2)),
            ),
            (
                "the sealed key's first byte",
                right.decrypt(&flipped(sealed.start)),
            ),
            (
                "a sealed key of the wrong length",
                right.decrypt(&resealed(&file, &[7; 5])),
            ),
            (
                "a sealed key of the right length, not the file's",
                right.decrypt(&resealed(&file, &[7; 32])),
            ),
        ];
        let expected = "the extract could not be decrypted with this instance's key";
        for (what, result) in failures {
            assert_eq!(result, Err(DecryptError::Undecryptable), "{what}");
            let shown = result.unwrap_err().to_string();
            assert_eq!(shown, expected, "{what}");
        }
    }

    #[test]
    fn a_failed_unwrap_goes_on_with_a_stand_in_key_fixed_for_the_file() {
        let key = key("test_key_pkcs8.pem");
        let file = fixture("principal.aes256.p7m");
        let sealed = &file[sealed_key_span(&file)];
        // The real key comes out as it is.
        let real = key.key.decrypt(Pkcs1v15Encrypt, sealed).unwrap();
        assert_eq!(key.unwrap_content_key(sealed, 32), real);

        let mut garbage = sealed.to_vec();
        garbage[100] ^= 1;
        let stand_in = key.unwrap_content_key(&garbage, 32);
        assert_eq!(stand_in.len(), 32);
        assert_ne!(stand_in, real);
        // The same for the same file, so that sending it again tells nothing new…
        assert_eq!(key.unwrap_content_key(&garbage, 32), stand_in);
        // …and different for another sealed key, length or private key.
        garbage[101] ^= 1;
        assert_ne!(key.unwrap_content_key(&garbage, 32), stand_in);
        assert_eq!(key.unwrap_content_key(&garbage, 24).len(), 24);
        let other = self::key("other_key.pem");
        assert_ne!(other.rejection_secret, key.rejection_secret);
        // A real key of the wrong length is replaced too.
        let short = RsaPublicKey::from(&key.key)
            .encrypt(&mut OsRng, Pkcs1v15Encrypt, &[9; 16])
            .unwrap();
        let replaced = key.unwrap_content_key(&short, 32);
        assert_eq!(replaced.len(), 32);
        assert!(!replaced.starts_with(&[9; 16]));
    }

    #[test]
    fn a_key_of_another_size_finds_no_recipient() {
        use rsa::pkcs8::EncodePrivateKey;
        let small = RsaPrivateKey::new(&mut OsRng, 512).unwrap();
        let pem = small.to_pkcs8_pem(Default::default()).unwrap();
        let key = DecryptionKey::from_pem(&pem).unwrap();
        assert_eq!(
            key.decrypt(&fixture("principal.aes256.p7m")),
            Err(DecryptError::NoRecipient)
        );
    }
}
