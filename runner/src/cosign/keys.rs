//! Cosign key pairs: ECDSA P-256, the public key as a PKIX `PUBLIC KEY` PEM, the private key as
//! PKCS#8 sealed in cosign's encrypted envelope.
//!
//! The envelope is go-securesystemslib's `encrypted` format, which cosign writes through
//! sigstore/sigstore `cryptoutils.MarshalPrivateKeyToEncryptedDER` and sigstore-rs reads in
//! `crypto::signing_key::kdf::decrypt`: a JSON object
//! `{"kdf": {"name": "scrypt", "params": {"N", "r", "p"}, "salt"}, "cipher": {"name":
//! "nacl/secretbox", "nonce"}, "ciphertext"}` (byte strings in standard base64), the key from
//! scrypt(password, salt, N, r, p, 32 bytes), the ciphertext NaCl's secretbox (XSalsa20-Poly1305,
//! tag first) of the PKCS#8 DER. The PEM label is `ENCRYPTED SIGSTORE PRIVATE KEY` (cosign 2) or
//! `ENCRYPTED COSIGN PRIVATE KEY` (cosign 1); both are read, the first is written.

use anyhow::{Context, Result, anyhow, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use crypto_secretbox::aead::{Aead, KeyInit};
use crypto_secretbox::{Key, Nonce, XSalsa20Poly1305};
use p256::ecdsa::{SigningKey, VerifyingKey};
use p256::pkcs8::der::pem::{self, LineEnding};
use p256::pkcs8::spki::{DecodePublicKey, EncodePublicKey, SubjectPublicKeyInfoRef};
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, ObjectIdentifier, PrivateKeyInfoRef};
use serde::{Deserialize, Serialize};

pub const SIGSTORE_PRIVATE_KEY_LABEL: &str = "ENCRYPTED SIGSTORE PRIVATE KEY";
pub const COSIGN_PRIVATE_KEY_LABEL: &str = "ENCRYPTED COSIGN PRIVATE KEY";
pub const PUBLIC_KEY_LABEL: &str = "PUBLIC KEY";

const SCRYPT: &str = "scrypt";
const SECRETBOX: &str = "nacl/secretbox";
/// The cost cosign writes today (2^16); 2^15 is what older cosign wrote. sigstore-rs refuses any
/// other parameters (`ScryptKDF::check_params`), so that a crafted key cannot make a verifier
/// spend unbounded memory; so do we.
const SCRYPT_LOG_N: u8 = 16;
const SCRYPT_ACCEPTED_N: [u32; 2] = [1 << 15, 1 << 16];
const SCRYPT_R: u32 = 8;
const SCRYPT_P: u32 = 1;
const SALT_LEN: usize = 32;
const NONCE_LEN: usize = 24;

const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const P256_CURVE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");

/// The `encrypted` envelope, field for field.
#[derive(Serialize, Deserialize)]
struct Envelope {
    kdf: Kdf,
    cipher: Cipher,
    #[serde(with = "b64")]
    ciphertext: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct Kdf {
    name: String,
    params: ScryptParams,
    #[serde(with = "b64")]
    salt: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct ScryptParams {
    #[serde(rename = "N")]
    n: u32,
    r: u32,
    p: u32,
}

#[derive(Serialize, Deserialize)]
struct Cipher {
    name: String,
    #[serde(with = "b64")]
    nonce: Vec<u8>,
}

mod b64 {
    use super::BASE64;
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&BASE64.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = <&str>::deserialize(d)?;
        BASE64.decode(text).map_err(serde::de::Error::custom)
    }
}

fn random<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| anyhow!("no randomness from the OS: {e}"))?;
    Ok(bytes)
}

fn scrypt_key(password: &[u8], salt: &[u8], log_n: u8) -> Result<[u8; 32]> {
    let params = scrypt::Params::new(log_n, SCRYPT_R, SCRYPT_P)
        .map_err(|e| anyhow!("scrypt parameters: {e}"))?;
    let mut key = [0u8; 32];
    scrypt::scrypt(password, salt, &params, &mut key).map_err(|e| anyhow!("scrypt: {e}"))?;
    Ok(key)
}

/// A fresh key pair.
pub fn generate() -> Result<SigningKey> {
    // A uniformly random 32-byte string is a valid scalar unless it is 0 or >= n, which happens
    // with probability about 2^-32: draw again then.
    loop {
        if let Ok(key) = SigningKey::from_slice(&random::<32>()?) {
            return Ok(key);
        }
    }
}

/// The private key as cosign writes `cosign.key`.
pub fn encrypt_private_key(key: &SigningKey, password: &[u8]) -> Result<String> {
    let der = key
        .to_pkcs8_der()
        .map_err(|e| anyhow!("cannot encode the private key as PKCS#8: {e}"))?;
    let salt = random::<SALT_LEN>()?;
    let nonce = random::<NONCE_LEN>()?;
    let sealing = scrypt_key(password, &salt, SCRYPT_LOG_N)?;
    let ciphertext = XSalsa20Poly1305::new(Key::from_slice(&sealing))
        .encrypt(Nonce::from_slice(&nonce), der.as_bytes())
        .map_err(|_| anyhow!("cannot seal the private key"))?;
    let envelope = Envelope {
        kdf: Kdf {
            name: SCRYPT.into(),
            params: ScryptParams {
                n: 1 << SCRYPT_LOG_N,
                r: SCRYPT_R,
                p: SCRYPT_P,
            },
            salt: salt.to_vec(),
        },
        cipher: Cipher {
            name: SECRETBOX.into(),
            nonce: nonce.to_vec(),
        },
        ciphertext,
    };
    let json = serde_json::to_vec(&envelope)?;
    pem::encode_string(SIGSTORE_PRIVATE_KEY_LABEL, LineEnding::LF, &json)
        .map_err(|e| anyhow!("cannot encode the private key as PEM: {e}"))
}

/// The public key as cosign writes `cosign.pub`.
pub fn public_key_pem(key: &VerifyingKey) -> Result<String> {
    key.to_public_key_pem(LineEnding::LF)
        .map_err(|e| anyhow!("cannot encode the public key as PEM: {e}"))
}

/// Reads `cosign.key`; `name` is how errors call the file.
pub fn decrypt_private_key(pem_text: &[u8], password: &[u8], name: &str) -> Result<SigningKey> {
    let (label, body) = pem::decode_vec(pem_text)
        .map_err(|e| anyhow!("{name} is not a PEM file ({e}): expected a cosign private key"))?;
    if label != SIGSTORE_PRIVATE_KEY_LABEL && label != COSIGN_PRIVATE_KEY_LABEL {
        bail!(
            "{name} is a {label:?} PEM block, not a cosign private key ({SIGSTORE_PRIVATE_KEY_LABEL:?} \
             or {COSIGN_PRIVATE_KEY_LABEL:?}): create one with `netsec keygen` or \
             `cosign generate-key-pair`"
        );
    }
    let envelope: Envelope = serde_json::from_slice(&body)
        .with_context(|| format!("{name}: the encrypted key envelope is malformed"))?;
    if envelope.kdf.name != SCRYPT || envelope.cipher.name != SECRETBOX {
        bail!(
            "{name} is sealed with kdf {:?} and cipher {:?}; cosign keys use {SCRYPT:?} and \
             {SECRETBOX:?}",
            envelope.kdf.name,
            envelope.cipher.name
        );
    }
    let ScryptParams { n, r, p } = envelope.kdf.params;
    if !SCRYPT_ACCEPTED_N.contains(&n) || r != SCRYPT_R || p != SCRYPT_P {
        bail!(
            "{name}: unexpected scrypt parameters N={n} r={r} p={p} (cosign writes N=32768 or \
             65536, r=8, p=1)"
        );
    }
    if envelope.cipher.nonce.len() != NONCE_LEN {
        bail!(
            "{name}: the secretbox nonce has {} bytes, not {NONCE_LEN}",
            envelope.cipher.nonce.len()
        );
    }
    let sealing = scrypt_key(password, &envelope.kdf.salt, n.trailing_zeros() as u8)?;
    let der = XSalsa20Poly1305::new(Key::from_slice(&sealing))
        .decrypt(
            Nonce::from_slice(&envelope.cipher.nonce),
            envelope.ciphertext.as_slice(),
        )
        .map_err(|_| {
            anyhow!(
                "cannot decrypt {name}: wrong password (set NETSEC_PASSWORD or COSIGN_PASSWORD \
                 to the password the key was created with)"
            )
        })?;
    signing_key_from_pkcs8(&der, name)
}

fn signing_key_from_pkcs8(der: &[u8], name: &str) -> Result<SigningKey> {
    let info = PrivateKeyInfoRef::try_from(der)
        .map_err(|e| anyhow!("{name}: the decrypted key is not PKCS#8 ({e})"))?;
    let (algorithm, curve) = info
        .algorithm
        .oids()
        .map_err(|e| anyhow!("{name}: unreadable key algorithm ({e})"))?;
    check_algorithm(algorithm, curve, name, "private")?;
    SigningKey::from_pkcs8_der(der).map_err(|e| anyhow!("{name}: invalid P-256 private key ({e})"))
}

/// Reads `cosign.pub`.
pub fn parse_public_key(pem_text: &[u8], name: &str) -> Result<VerifyingKey> {
    let (label, der) = pem::decode_vec(pem_text)
        .map_err(|e| anyhow!("{name} is not a PEM file ({e}): expected a cosign public key"))?;
    if label != PUBLIC_KEY_LABEL {
        bail!("{name} is a {label:?} PEM block, not a {PUBLIC_KEY_LABEL:?}");
    }
    let info = SubjectPublicKeyInfoRef::try_from(der.as_slice())
        .map_err(|e| anyhow!("{name}: not a PKIX public key ({e})"))?;
    let (algorithm, curve) = info
        .algorithm
        .oids()
        .map_err(|e| anyhow!("{name}: unreadable key algorithm ({e})"))?;
    check_algorithm(algorithm, curve, name, "public")?;
    VerifyingKey::from_public_key_der(&der)
        .map_err(|e| anyhow!("{name}: invalid P-256 public key ({e})"))
}

fn check_algorithm(
    algorithm: ObjectIdentifier,
    curve: Option<ObjectIdentifier>,
    name: &str,
    which: &str,
) -> Result<()> {
    if algorithm == EC_PUBLIC_KEY && curve == Some(P256_CURVE) {
        return Ok(());
    }
    let what = match (algorithm.to_string().as_str(), curve.map(|c| c.to_string())) {
        ("1.2.840.10045.2.1", Some(c)) if c == "1.3.132.0.34" => "an ECDSA P-384".to_string(),
        ("1.2.840.10045.2.1", Some(c)) if c == "1.3.132.0.35" => "an ECDSA P-521".to_string(),
        ("1.2.840.10045.2.1", c) => format!("an ECDSA key on curve {c:?}, not"),
        ("1.3.101.112", _) => "an Ed25519".to_string(),
        ("1.2.840.113549.1.1.1", _) => "an RSA".to_string(),
        (other, _) => format!("a {other}"),
    };
    bail!(
        "{name} holds {what} {which} key; netsec signs and verifies with ECDSA P-256 keys, the \
         kind `cosign generate-key-pair` and `netsec keygen` create"
    )
}

/// The password of a private key: `NETSEC_PASSWORD`, else `COSIGN_PASSWORD` (as cosign reads
/// it), else a prompt on the terminal (twice when `confirm`, for a new key). A variable set to
/// the empty string is an empty password, as for cosign.
pub fn password(confirm: bool) -> Result<Vec<u8>> {
    for var in ["NETSEC_PASSWORD", "COSIGN_PASSWORD"] {
        if let Some(value) = std::env::var_os(var) {
            return value
                .into_string()
                .map(String::into_bytes)
                .map_err(|_| anyhow!("{var} is not valid UTF-8"));
        }
    }
    let first = rpassword::prompt_password("Enter password for private key: ").map_err(|e| {
        anyhow!(
            "no password: set NETSEC_PASSWORD or COSIGN_PASSWORD, or run on a terminal to be \
             asked ({e})"
        )
    })?;
    if confirm {
        let again = rpassword::prompt_password("Enter password for private key again: ")?;
        if again != first {
            bail!("the passwords do not match");
        }
    }
    Ok(first.into_bytes())
}

/// `BASE64(ASN.1 DER ECDSA signature over SHA-256(payload))`, the value of cosign's
/// `dev.cosignproject.cosign/signature` annotation.
pub fn sign(key: &SigningKey, payload: &[u8]) -> String {
    use p256::ecdsa::signature::Signer;
    let signature: p256::ecdsa::DerSignature = key.sign(payload);
    BASE64.encode(signature.as_bytes())
}

/// Checks a base64 DER signature as sigstore-rs `SignatureLayer::is_signed_by_key` does
/// (`CosignVerificationKey::verify_signature` with ECDSA_P256_SHA256_ASN1).
pub fn verify(key: &VerifyingKey, payload: &[u8], signature_b64: &str) -> bool {
    use p256::ecdsa::signature::Verifier;
    let Ok(der) = BASE64.decode(signature_b64.trim()) else {
        return false;
    };
    let Ok(signature) = p256::ecdsa::DerSignature::from_bytes(&der) else {
        return false;
    };
    key.verify(payload, &signature).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key written by `cosign generate-key-pair` with an empty password, from sigstore-rs's test
    /// data (tests/data/keys/cosign_generated_encrypted_empty_private.key): the interoperability
    /// check that our reader opens cosign's own output.
    const COSIGN_GENERATED: &str = "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----
eyJrZGYiOnsibmFtZSI6InNjcnlwdCIsInBhcmFtcyI6eyJOIjo2NTUzNiwiciI6
OCwicCI6MX0sInNhbHQiOiJFY3pJR3Z0bnpFcCsxaEpudERnbGI1UnoxN3gwQVMy
YklvWGRNcDQrU1NJPSJ9LCJjaXBoZXIiOnsibmFtZSI6Im5hY2wvc2VjcmV0Ym94
Iiwibm9uY2UiOiJtSVVKbG1OMzNINExvZ0dhaG5MamdmK3R4SmJwci93MCJ9LCJj
aXBoZXJ0ZXh0IjoiM3FtS2FidXRuYm1WT1IvTkZGM2NDaUErTXp1WWQ5L0VERDVI
MVlUSGhQVzZsSzAvdjVqdDZCQzlsME12NGV5am9qZkl0d3B6a2JJOXQrZGx5VXZ3
VUgvMWZjbkFZT2dEdXRLQzkvSkNiOE02SVY2VHpVaDF5c0ZFWDFzeG9xb1FzeUpL
bjM0UVlldFNlaVdDaGtmUHUyZXByQjFEV0pwekdzTGZIakxNVTkzOEdmNk1xM1A0
N0ZSd2syZzY1cFZnSGMwVWV1L1N1OUs0Zmc9PSJ9
-----END ENCRYPTED SIGSTORE PRIVATE KEY-----
";

    fn envelope_of(pem_text: &str) -> Value {
        let (_, body) = pem::decode_vec(pem_text.as_bytes()).unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    use serde_json::Value;

    #[test]
    fn cosign_keys_open_and_sign() {
        let key = decrypt_private_key(COSIGN_GENERATED.as_bytes(), b"", "cosign.key").unwrap();
        let signature = sign(&key, b"payload");
        assert!(verify(key.verifying_key(), b"payload", &signature));
        assert!(!verify(key.verifying_key(), b"payload!", &signature));

        // The label cosign 1 wrote is read too.
        let old = COSIGN_GENERATED.replace(SIGSTORE_PRIVATE_KEY_LABEL, COSIGN_PRIVATE_KEY_LABEL);
        let again = decrypt_private_key(old.as_bytes(), b"", "cosign.key").unwrap();
        assert_eq!(again.to_bytes(), key.to_bytes());

        let err = decrypt_private_key(COSIGN_GENERATED.as_bytes(), b"x", "cosign.key")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("cannot decrypt cosign.key: wrong password"),
            "{err}"
        );
    }

    #[test]
    fn written_keys_have_cosigns_shape_and_round_trip() {
        let key = generate().unwrap();
        let pem_text = encrypt_private_key(&key, b"s3cret").unwrap();
        assert!(pem_text.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
        assert!(pem_text.lines().all(|l| l.len() <= 64), "64-column PEM");
        let envelope = envelope_of(&pem_text);
        assert_eq!(envelope["kdf"]["name"], "scrypt");
        assert_eq!(
            envelope["kdf"]["params"],
            serde_json::json!({"N": 65536, "r": 8, "p": 1})
        );
        assert_eq!(envelope["cipher"]["name"], "nacl/secretbox");
        let b64 = |v: &Value| BASE64.decode(v.as_str().unwrap()).unwrap();
        assert_eq!(b64(&envelope["kdf"]["salt"]).len(), 32);
        assert_eq!(b64(&envelope["cipher"]["nonce"]).len(), 24);
        // PKCS#8 of a P-256 key (138 bytes with the public key) plus the 16-byte Poly1305 tag.
        let pkcs8 = key.to_pkcs8_der().unwrap();
        assert_eq!(
            b64(&envelope["ciphertext"]).len(),
            pkcs8.as_bytes().len() + 16
        );

        let back = decrypt_private_key(pem_text.as_bytes(), b"s3cret", "k").unwrap();
        assert_eq!(back.to_bytes(), key.to_bytes());
        let err = decrypt_private_key(pem_text.as_bytes(), b"S3cret", "k").unwrap_err();
        assert!(err.to_string().contains("wrong password"), "{err}");

        let public = public_key_pem(key.verifying_key()).unwrap();
        assert!(public.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        assert_eq!(
            &parse_public_key(public.as_bytes(), "p").unwrap(),
            key.verifying_key()
        );
    }

    /// A cosign envelope around any plaintext, as another tool would seal another kind of key.
    fn seal(plaintext: &[u8], password: &[u8], log_n: u8) -> String {
        let salt = [7u8; SALT_LEN];
        let nonce = [9u8; NONCE_LEN];
        let sealing = scrypt_key(password, &salt, log_n).unwrap();
        let ciphertext = XSalsa20Poly1305::new(Key::from_slice(&sealing))
            .encrypt(Nonce::from_slice(&nonce), plaintext)
            .unwrap();
        let json = serde_json::json!({
            "kdf": {"name": "scrypt", "params": {"N": 1u32 << log_n, "r": 8, "p": 1},
                    "salt": BASE64.encode(salt)},
            "cipher": {"name": "nacl/secretbox", "nonce": BASE64.encode(nonce)},
            "ciphertext": BASE64.encode(ciphertext),
        });
        pem::encode_string(
            SIGSTORE_PRIVATE_KEY_LABEL,
            LineEnding::LF,
            json.to_string().as_bytes(),
        )
        .unwrap()
    }

    #[test]
    fn keys_of_another_type_are_named() {
        // PKCS#8 of an Ed25519 key (RFC 8410), as `cosign generate-key-pair` never writes but
        // other sigstore tools do.
        let mut ed25519 = hex::decode("302e020100300506032b657004220420").unwrap();
        ed25519.extend([1u8; 32]);
        let sealed = seal(&ed25519, b"pw", 15);
        let err = decrypt_private_key(sealed.as_bytes(), b"pw", "ed.key")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("ed.key holds an Ed25519 private key") && err.contains("ECDSA P-256"),
            "{err}"
        );
        // The older cosign cost (N = 2^15) is accepted: the key opened, then was refused.
        let sealed = seal(b"not pkcs8", b"pw", 15);
        let err = decrypt_private_key(sealed.as_bytes(), b"pw", "k").unwrap_err();
        assert!(err.to_string().contains("not PKCS#8"), "{err}");

        let mut ed25519_spki = hex::decode("302a300506032b6570032100").unwrap();
        ed25519_spki.extend([2u8; 32]);
        let p384_spki = hex::decode("3017301006072a8648ce3d020106052b810400220303000400").unwrap();
        for (der, want) in [
            (ed25519_spki, "an Ed25519 public key"),
            (p384_spki, "an ECDSA P-384 public key"),
        ] {
            let text = pem::encode_string(PUBLIC_KEY_LABEL, LineEnding::LF, &der).unwrap();
            let err = parse_public_key(text.as_bytes(), "k.pub")
                .unwrap_err()
                .to_string();
            assert!(err.contains(want), "{err}");
        }
    }

    #[test]
    fn other_files_are_refused_with_a_reason() {
        let key = generate().unwrap();
        let public = public_key_pem(key.verifying_key()).unwrap();
        let err = decrypt_private_key(public.as_bytes(), b"", "cosign.pub")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("cosign.pub is a \"PUBLIC KEY\" PEM block, not a cosign private key"),
            "{err}"
        );
        let err = parse_public_key(COSIGN_GENERATED.as_bytes(), "cosign.key")
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a \"PUBLIC KEY\""), "{err}");
        for bad in [
            "",
            "hello",
            "-----BEGIN PUBLIC KEY-----\n!!\n-----END PUBLIC KEY-----\n",
        ] {
            assert!(parse_public_key(bad.as_bytes(), "x").is_err());
            assert!(decrypt_private_key(bad.as_bytes(), b"", "x").is_err());
        }

        // A crafted envelope cannot make us spend more than cosign's scrypt cost.
        let sealed = seal(b"x", b"", 10);
        let err = decrypt_private_key(sealed.as_bytes(), b"", "k").unwrap_err();
        assert!(
            err.to_string()
                .contains("unexpected scrypt parameters N=1024"),
            "{err}"
        );
        let text = pem::encode_string(SIGSTORE_PRIVATE_KEY_LABEL, LineEnding::LF, b"{}").unwrap();
        let err = decrypt_private_key(text.as_bytes(), b"", "k").unwrap_err();
        assert!(
            format!("{err:#}").contains("envelope is malformed"),
            "{err:#}"
        );
    }

    #[test]
    fn signatures_are_der_and_bound_to_the_key() {
        let key = generate().unwrap();
        let other = generate().unwrap();
        let signature = sign(&key, b"payload");
        let der = BASE64.decode(&signature).unwrap();
        assert_eq!(der[0], 0x30, "an ASN.1 SEQUENCE");
        assert!(verify(key.verifying_key(), b"payload", &signature));
        assert!(!verify(other.verifying_key(), b"payload", &signature));
        assert!(!verify(key.verifying_key(), b"payload", "not base64"));
        assert!(!verify(
            key.verifying_key(),
            b"payload",
            &BASE64.encode(b"junk")
        ));
    }
}
