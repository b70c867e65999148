//! `netsec-shared`: what every netsec policy needs, in one place each.
//!
//! Policies keep their logic in a pure `evaluate(request, settings, ..) -> Verdict`; this crate
//! gives them the request views, the verdict and its response, settings parsing and validation,
//! host-name matching and annotation reading, and the few lines of waPC glue in [`guest`].

pub mod acme;
pub mod annotations;
pub mod arena;
pub mod c_heap;
pub mod calico;
pub mod cluster;
pub mod controllers;
pub mod gateway;
pub mod guest;
pub mod host;
pub mod ingress;
pub mod json;
pub mod mem;
pub mod mesh;
pub mod net;
pub mod netpol;
pub mod nginx;
pub mod request;
pub mod review;
pub mod scan;
pub mod selector;
pub mod settings;
pub mod sort;
pub mod testing;
pub mod verdict;
pub mod view;
pub mod workload;

pub use request::{AdmissionRequest, ObjectMeta, Operation, Payload};
pub use settings::{ExemptNamespaces, SettingsErrors, Validate};
pub use verdict::{Findings, Verdict, Violation};
