//! The `sysmon-flat` record decoder on any JSON value, whether or not it has the format's shape.
#![no_main]
dllhound_fuzz::record_target!("sysmon-flat");
