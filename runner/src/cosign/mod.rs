//! Signing and verifying policies the way cosign does, so that `kwctl verify`, policy-server's
//! `verificationConfig` and `cosign verify` accept what `netsec sign` and `netsec push --key`
//! write.
//!
//! Built on the RustCrypto crates (p256, scrypt, crypto_secretbox) rather than the `sigstore`
//! crate: sigstore 0.15 needs a crypto backend feature (`rustls-tls` brings aws-lc-sys, a C
//! library built with cmake or cc; `native-tls` brings OpenSSL), and its cosign signing and
//! verification types sit behind the `cosign` feature, which pulls Fulcio, Rekor, OpenID
//! Connect and protobuf code: about 120 more crates for the runner, against 35 small ones here.
//! The formats are the ones named in each module, read from cosign, sigstore/sigstore and
//! sigstore-rs.

pub mod keys;
pub mod payload;
pub mod registry;
