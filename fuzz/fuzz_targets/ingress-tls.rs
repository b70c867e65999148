#![no_main]
netsec_fuzz::fuzz_policy!(ingress_tls, cluster);
