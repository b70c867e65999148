#![no_main]
netsec_fuzz::fuzz_policy!(egress_restrictions);
