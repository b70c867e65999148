#![no_main]
netsec_fuzz::fuzz_policy!(host_ownership, cluster);
