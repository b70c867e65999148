#![no_main]
netsec_fuzz::fuzz_policy!(service_exposure);
