#![no_main]
netsec_fuzz::fuzz_policy!(coredns_config);
