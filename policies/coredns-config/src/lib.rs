//! `coredns-config`: the CoreDNS Corefile, parsed and checked for DNS spoofing and abuse.

pub mod corefile;
