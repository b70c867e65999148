//! `netsec-runner`: evaluates netsec policy modules offline exactly as Kubewarden's policy-server
//! does, runs their scenario tables, and embeds and reads their metadata.

pub mod admission;
pub mod annotate;
pub mod artifacthub;
pub mod bundle;
pub mod cluster;
pub mod cosign;
pub mod host;
pub mod inspect;
pub mod manifests;
pub mod metadata;
pub mod oci;
pub mod questions;
pub mod sbom;
pub mod scan;
pub mod scenario;

pub use host::PolicyHost;
