//! COM server registrations (`…\CLSID\{…}\InprocServer32` default values) decode from each shape
//! that carries registry telemetry, and every other registry value is skipped (not an error).

use dllhound_ingest::{read_bytes, ReadOptions};
use dllhound_model::{Event, EventKind};

const CLSID: &str = "{bcde0395-e52f-467c-8e3d-c4579291692e}";

fn decode(name: &str, text: &str) -> (Vec<Event>, u64, u64) {
    let mut out = Vec::new();
    let st = read_bytes(name, text.as_bytes(), &ReadOptions::default(), &mut |e| {
        out.push(e)
    });
    (out, st.records_ok, st.records_bad)
}

fn servers(events: &[Event]) -> Vec<(String, String)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ComServer(c) => {
                Some((c.clsid.to_string(), c.server.normalised().to_string()))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn sysmon_13_flat_json() {
    let text = r#"{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":13,"Hostname":"WS1","UtcTime":"2024-03-01 10:15:00.000","ProcessGuid":"{11111111-1111-1111-1111-111111111111}","ProcessId":"4242","Image":"C:\\Users\\a\\Downloads\\dropper.exe","EventType":"SetValue","TargetObject":"HKU\\S-1-5-21-1_Classes\\CLSID\\{BCDE0395-E52F-467C-8E3D-C4579291692E}\\InprocServer32\\(Default)","Details":"C:\\ProgramData\\demo.dll"}
{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":13,"Hostname":"WS1","UtcTime":"2024-03-01 10:15:00.001","ProcessGuid":"{11111111-1111-1111-1111-111111111111}","ProcessId":"4242","Image":"C:\\Users\\a\\Downloads\\dropper.exe","EventType":"SetValue","TargetObject":"HKU\\S-1-5-21-1_Classes\\CLSID\\{BCDE0395-E52F-467C-8E3D-C4579291692E}\\InprocServer32\\ThreadingModel","Details":"Apartment"}
{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":13,"Hostname":"WS1","UtcTime":"2024-03-01 10:15:00.002","ProcessGuid":"{11111111-1111-1111-1111-111111111111}","ProcessId":"4242","Image":"C:\\x.exe","EventType":"SetValue","TargetObject":"HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\x","Details":"C:\\x.exe"}
"#;
    let (events, ok, bad) = decode("sysmon.jsonl", text);
    assert_eq!((ok, bad), (3, 0));
    assert_eq!(
        servers(&events),
        vec![(CLSID.to_string(), r"c:\programdata\demo.dll".to_string())]
    );
    assert_eq!(
        events.len(),
        1,
        "only the InprocServer32 default becomes an event"
    );
}

#[test]
fn ecs_registry_events() {
    let text = r#"{"@timestamp":"2024-03-01T10:15:00.000Z","host":{"name":"ws1"},"event":{"category":["registry"],"type":["change"],"action":"modification"},"process":{"entity_id":"p1","pid":4242,"executable":"C:\\Users\\a\\Downloads\\dropper.exe"},"registry":{"path":"HKEY_USERS\\S-1-5-21-1_Classes\\CLSID\\{BCDE0395-E52F-467C-8E3D-C4579291692E}\\InprocServer32\\(Default)","data":{"strings":["C:\\ProgramData\\demo.dll"]}}}
{"@timestamp":"2024-03-01T10:15:00.000Z","host":{"name":"ws1"},"winlog":{"event_id":13,"channel":"Microsoft-Windows-Sysmon/Operational","provider_name":"Microsoft-Windows-Sysmon","computer_name":"ws1","event_data":{"UtcTime":"2024-03-01 10:15:00.000","ProcessGuid":"{11111111-1111-1111-1111-111111111111}","ProcessId":"4242","Image":"C:\\x.exe","EventType":"SetValue"}},"registry":{"path":"HKLM\\SOFTWARE\\Classes\\CLSID\\{BCDE0395-E52F-467C-8E3D-C4579291692E}\\InprocServer32","data":{"strings":["%ProgramData%\\demo.dll"]}}}
"#;
    let (events, ok, bad) = decode("ecs.ndjson", text);
    assert_eq!((ok, bad), (2, 0));
    assert_eq!(
        servers(&events),
        vec![
            (CLSID.to_string(), r"c:\programdata\demo.dll".to_string()),
            (CLSID.to_string(), r"c:\programdata\demo.dll".to_string())
        ]
    );
}

#[test]
fn mde_device_registry_events() {
    let text = r#"{"Timestamp":"2024-03-01T10:15:00.000Z","DeviceId":"d1","DeviceName":"ws1","ActionType":"RegistryValueSet","RegistryKey":"HKEY_CURRENT_USER\\S-1-5-21-1_Classes\\CLSID\\{BCDE0395-E52F-467C-8E3D-C4579291692E}\\InprocServer32","RegistryValueName":"","RegistryValueData":"C:\\ProgramData\\demo.dll","InitiatingProcessFileName":"dropper.exe","InitiatingProcessId":4242,"InitiatingProcessCreationTime":"2024-03-01T10:14:00.000Z","InitiatingProcessFolderPath":"c:\\users\\a\\downloads\\dropper.exe"}
{"Timestamp":"2024-03-01T10:15:00.000Z","DeviceId":"d1","DeviceName":"ws1","ActionType":"RegistryValueSet","RegistryKey":"HKEY_CURRENT_USER\\S-1-5-21-1_Classes\\CLSID\\{BCDE0395-E52F-467C-8E3D-C4579291692E}\\InprocServer32","RegistryValueName":"ThreadingModel","RegistryValueData":"Both","InitiatingProcessFileName":"dropper.exe","InitiatingProcessId":4242,"InitiatingProcessCreationTime":"2024-03-01T10:14:00.000Z","InitiatingProcessFolderPath":"c:\\users\\a\\downloads\\dropper.exe"}
"#;
    let (events, ok, bad) = decode("DeviceRegistryEvents.json", text);
    assert_eq!((ok, bad), (2, 0));
    assert_eq!(
        servers(&events),
        vec![(CLSID.to_string(), r"c:\programdata\demo.dll".to_string())]
    );
}
