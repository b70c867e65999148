#![no_main]
netsec_fuzz::fuzz_policy!(rate_limit_annotations, cluster);
