#![no_main]
netsec_fuzz::fuzz_policy!(exposed_autoscaling, cluster);
