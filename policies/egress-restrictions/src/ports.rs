//! Port ranges: the `allowedPorts` setting and egress rules' ports resolved to numbers. They
//! live in `netsec_shared::netpol::ports`, next to the egress model every family converts to.

pub use netsec_shared::netpol::ports::{PortRange, Protocol, covered, resolve};
