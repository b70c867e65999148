#![no_main]
netsec_fuzz::fuzz_policy!(network_policy_presence, cluster);
