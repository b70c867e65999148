//! `ingress-tls`: Ingress traffic is TLS-only, every host covered by a certificate.

pub mod policy;
pub mod redirect;
pub mod settings;

pub use policy::evaluate;
pub use settings::Settings;

netsec_shared::register_policy!(Settings, evaluate);
