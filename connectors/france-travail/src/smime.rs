//! S/MIME decryption of the weekly extract files: France Travail sends them as CMS
//! EnvelopedData (DER), the content key sealed for the département's RSA certificate.
//!
//! Supported: key transport RSA PKCS#1 v1.5 (`rsaEncryption`, what `openssl cms -encrypt`
//! uses by default); content AES-128/192/256-CBC and DES-EDE3-CBC. Anything else is refused
//! with its OID so that an operator knows what was received.
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

use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockDecryptMut, KeyIvInit};
use cms::content_info::ContentInfo;
use cms::enveloped_data::{EnvelopedData, RecipientInfo};
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Encrypt, RsaPrivateKey};
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

/// Why a private key could not be read.
#[derive(Debug, Error)]
pub enum KeyError {
    /// Neither a PKCS#8 (`BEGIN PRIVATE KEY`) nor a PKCS#1 (`BEGIN RSA PRIVATE KEY`) PEM
    /// RSA key; the message never holds key material.
    #[error("not an RSA private key in PEM (PKCS#8 or PKCS#1): {0}")]
    NotAnRsaKey(String),
}

/// Why an extract could not be decrypted.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum DecryptError {
    /// The bytes are not a DER CMS structure (or are truncated).
    #[error("not a DER CMS structure: {0}")]
    NotDer(String),
    /// A CMS structure, but not enveloped data (signed data, for instance).
    #[error("CMS content of type {0} is not enveloped data")]
    NotEnvelopedData(String),
    /// No RSA key-transport recipient of the file opens with this key.
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
    /// The content key recovered has not the length the content algorithm needs.
    #[error("the content key has {found} bytes where {algorithm} needs {expected}")]
    BadKeyLength {
        /// The content algorithm's OID.
        algorithm: String,
        /// Bytes expected.
        expected: usize,
        /// Bytes recovered.
        found: usize,
    },
    /// The content is absent (detached enveloped data).
    #[error("the enveloped data carries no encrypted content")]
    NoContent,
    /// The decrypted content does not end with valid padding: wrong key or altered file.
    #[error("bad padding after decryption: wrong key or altered file")]
    BadPadding,
}

/// An RSA private key that opens extract files; its `Debug` shows no key material.
pub struct DecryptionKey {
    key: RsaPrivateKey,
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
        Ok(Self { key })
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
        let content_key = self.content_key(&enveloped)?;
        let encrypted = &enveloped.encrypted_content;
        let ciphertext = encrypted
            .encrypted_content
            .as_ref()
            .ok_or(DecryptError::NoContent)?
            .as_bytes();
        let algorithm = &encrypted.content_enc_alg;
        let iv = iv(algorithm.oid, algorithm.parameters.as_ref())?;
        let oid = algorithm.oid;
        match oid {
            AES_128_CBC => cbc_decrypt::<aes::Aes128>(oid, &content_key, &iv, ciphertext),
            AES_192_CBC => cbc_decrypt::<aes::Aes192>(oid, &content_key, &iv, ciphertext),
            AES_256_CBC => cbc_decrypt::<aes::Aes256>(oid, &content_key, &iv, ciphertext),
            DES_EDE3_CBC => cbc_decrypt::<des::TdesEde3>(oid, &content_key, &iv, ciphertext),
            other => Err(DecryptError::UnsupportedAlgorithm {
                what: "content encryption",
                oid: other.to_string(),
            }),
        }
    }

    /// The content key of the first key-transport recipient this key opens. The file names
    /// its recipients by certificate, which the hub does not keep: each RSA recipient whose
    /// modulus has our size is tried.
    fn content_key(&self, enveloped: &EnvelopedData) -> Result<Vec<u8>, DecryptError> {
        let mut unsupported = None;
        for recipient in enveloped.recip_infos.0.iter() {
            let RecipientInfo::Ktri(ktri) = recipient else {
                continue;
            };
            if ktri.key_enc_alg.oid != RSA_ENCRYPTION {
                unsupported = Some(ktri.key_enc_alg.oid);
                continue;
            }
            let sealed = ktri.enc_key.as_bytes();
            if sealed.len() != self.key.size() {
                continue;
            }
            if let Ok(key) = self.key.decrypt(Pkcs1v15Encrypt, sealed) {
                return Ok(key);
            }
        }
        Err(match unsupported {
            Some(oid) => DecryptError::UnsupportedAlgorithm {
                what: "key transport",
                oid: oid.to_string(),
            },
            None => DecryptError::NoRecipient,
        })
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

fn cbc_decrypt<C>(
    oid: ObjectIdentifier,
    key: &[u8],
    iv: &[u8],
    ciphertext: &[u8],
) -> Result<Vec<u8>, DecryptError>
where
    C: aes::cipher::BlockCipher + aes::cipher::BlockDecryptMut + aes::cipher::KeyInit,
{
    let decryptor = cbc::Decryptor::<C>::new_from_slices(key, iv).map_err(|_| {
        let expected = <C as aes::cipher::KeySizeUser>::key_size();
        if key.len() == expected {
            DecryptError::BadParameters(oid.to_string())
        } else {
            DecryptError::BadKeyLength {
                algorithm: oid.to_string(),
                expected,
                found: key.len(),
            }
        }
    })?;
    let mut buffer = ciphertext.to_vec();
    let clear = decryptor
        .decrypt_padded_mut::<Pkcs7>(&mut buffer)
        .map_err(|_| DecryptError::BadPadding)?
        .len();
    buffer.truncate(clear);
    Ok(buffer)
}

/// True when the bytes look like CMS enveloped data (a DER `ContentInfo` of that type),
/// whatever key opens them: how a received file is told apart from a clear CSV.
pub fn is_enveloped(bytes: &[u8]) -> bool {
    ContentInfo::from_der(bytes).is_ok_and(|info| info.content_type == ENVELOPED_DATA)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_not_der_and_a_key_that_is_not_pem_is_refused() {
        assert!(!is_enveloped(b"identifiant_unique_de;nom\n"));
        assert!(DecryptionKey::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n").is_err());
    }
}
