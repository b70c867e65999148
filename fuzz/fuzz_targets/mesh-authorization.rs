#![no_main]
netsec_fuzz::fuzz_policy!(mesh_authorization, cluster);
