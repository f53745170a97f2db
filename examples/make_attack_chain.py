#!/usr/bin/env python3
"""Writes examples/attack-chain.jsonl: a small, realistic AN0052 recording in Sysmon JSON lines (the
flat shape OTRF Security-Datasets use), written for dllhound. Two workstations, ten minutes:

* fin-ws042: Word drops an unsigned DLL into %TEMP%, runs it with rundll32, and the DLL's host process
  resolves and connects to a public address: branches (a), (b) and (c).
* fin-ws042: PowerShell drops version.dll next to a signed updater copied into ProgramData, which then
  side-loads it: branch (a).
* fin-ws042: an unsigned DLL under ProgramData loaded with nothing around it: a trigger only (a signal
  with --signals, never an alert).
* both hosts: benign noise (signed system DLLs, service traffic, log files, ordinary processes).

Lines are written out of time order on purpose, as real exports are. Run: python3 make_attack_chain.py
"""
import json, random

random.seed(52)
SYSMON = "Microsoft-Windows-Sysmon/Operational"
out = []

def ev(host, eid, utc, **fields):
    d = {"Channel": SYSMON, "EventID": eid, "SourceName": "Microsoft-Windows-Sysmon", "Hostname": host,
         "TimeCreated": utc.replace(" ", "T") + "Z", "UtcTime": utc}
    d.update(fields)
    out.append(d)

W, S = "FIN-WS042.corp.example", "FIN-WS017.corp.example"
word = "{9a1c3e55-7b21-6561-4a02-000000000d00}"
rund = "{9a1c3e55-7b29-6561-4b02-000000000d00}"
ps = "{9a1c3e55-7c02-6561-5002-000000000d00}"
upd = "{9a1c3e55-7c10-6561-5302-000000000d00}"
svc = "{9a1c3e55-0001-6561-0b00-000000000d00}"
expl = "{9a1c3e55-0005-6561-1100-000000000d00}"
tmp_dll = r"C:\Users\alice\AppData\Local\Temp\msoupd.dll"

# (a) (b) (c): Word drops and runs a DLL through rundll32, which calls out.
ev(W, 1, "2026-11-20 09:14:02.118", ProcessGuid=word, ProcessId="6120", Image=r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE",
   OriginalFileName="WinWord.exe", CommandLine=r'"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE" /n "C:\Users\alice\Downloads\Q4_invoice.docm"',
   ParentProcessGuid=expl, ParentProcessId="4412", ParentImage=r"C:\Windows\explorer.exe", User=r"CORP\alice")
ev(W, 11, "2026-11-20 09:14:09.530", ProcessGuid=word, ProcessId="6120", Image=r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE",
   TargetFilename=tmp_dll, CreationUtcTime="2026-11-20 09:14:09.530")
ev(W, 1, "2026-11-20 09:14:10.002", ProcessGuid=rund, ProcessId="7344", Image=r"C:\Windows\System32\rundll32.exe", OriginalFileName="RUNDLL32.EXE",
   CommandLine=r'rundll32.exe "C:\Users\alice\AppData\Local\Temp\msoupd.dll",DllRegisterServer', ParentProcessGuid=word, ParentProcessId="6120",
   ParentImage=r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE", User=r"CORP\alice")
for ms in ("014", "014"):  # Sysmon often logs the same module twice within a millisecond
    ev(W, 7, f"2026-11-20 09:14:10.{ms}", ProcessGuid=rund, ProcessId="7344", Image=r"C:\Windows\System32\rundll32.exe", ImageLoaded=tmp_dll,
       Signed="false", SignatureStatus="Unavailable", Signature="-", Hashes="SHA1=5F1D8C3A,MD5=0B7E,SHA256=7D3C2F0E9A61B4C8D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F708192A3B4C,IMPHASH=11AA",
       User=r"CORP\alice")
ev(W, 22, "2026-11-20 09:14:11.870", ProcessGuid=rund, ProcessId="7344", Image=r"C:\Windows\System32\rundll32.exe",
   QueryName="cdn-update.example.net", QueryStatus="0", QueryResults="::ffff:203.0.113.45;")
ev(W, 3, "2026-11-20 09:14:12.205", ProcessGuid=rund, ProcessId="7344", Image=r"C:\Windows\System32\rundll32.exe", Protocol="tcp", Initiated="true",
   SourceIp="10.20.4.42", SourcePort="51544", DestinationIp="203.0.113.45", DestinationHostname="cdn-update.example.net", DestinationPort="443")

# (a): side-loading through a signed updater copied into ProgramData.
ev(W, 1, "2026-11-20 09:17:30.441", ProcessGuid=ps, ProcessId="8020", Image=r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
   OriginalFileName="PowerShell.EXE", CommandLine="powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0A", ParentProcessGuid=rund,
   ParentProcessId="7344", ParentImage=r"C:\Windows\System32\rundll32.exe", User=r"CORP\alice")
ev(W, 11, "2026-11-20 09:17:33.090", ProcessGuid=ps, ProcessId="8020", Image=r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
   TargetFilename=r"C:\ProgramData\Vendor\Updater.exe")
ev(W, 11, "2026-11-20 09:17:33.412", ProcessGuid=ps, ProcessId="8020", Image=r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
   TargetFilename=r"C:\ProgramData\Vendor\version.dll")
ev(W, 1, "2026-11-20 09:17:41.600", ProcessGuid=upd, ProcessId="2216", Image=r"C:\ProgramData\Vendor\Updater.exe", OriginalFileName="Updater.exe",
   CommandLine=r'"C:\ProgramData\Vendor\Updater.exe" /silent', ParentProcessGuid=ps, ParentProcessId="8020",
   ParentImage=r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe", User=r"CORP\alice")
ev(W, 7, "2026-11-20 09:17:41.602", ProcessGuid=upd, ProcessId="2216", Image=r"C:\ProgramData\Vendor\Updater.exe", ImageLoaded=r"C:\ProgramData\Vendor\Updater.exe",
   Signed="true", SignatureStatus="Valid", Signature="Example Software Ltd")  # its own main module: not a DLL load
ev(W, 7, "2026-11-20 09:17:41.655", ProcessGuid=upd, ProcessId="2216", Image=r"C:\ProgramData\Vendor\Updater.exe", ImageLoaded=r"C:\ProgramData\Vendor\version.dll",
   Signed="false", SignatureStatus="Unavailable", Signature="-", User=r"CORP\alice")

# A trigger with nothing around it: a signal at most.
ev(W, 7, "2026-11-20 09:20:05.300", ProcessGuid=svc, ProcessId="1320", Image=r"C:\Windows\System32\svchost.exe",
   ImageLoaded=r"C:\ProgramData\Contoso\Agent\telemetry.dll", Signed="false", SignatureStatus="Unavailable", Signature="-")

# Benign noise on both hosts.
sysdlls = ["ntdll.dll", "kernel32.dll", "KernelBase.dll", "advapi32.dll", "user32.dll", "ws2_32.dll", "crypt32.dll", "winhttp.dll", "bcrypt.dll", "sechost.dll"]
for host in (W, S):
    for i in range(40):
        t = f"2026-11-20 09:{12 + i // 6:02d}:{(i * 9) % 60:02d}.{random.randrange(1000):03d}"
        dll = random.choice(sysdlls)
        ev(host, 7, t, ProcessGuid=svc if i % 2 else expl, ProcessId="1320" if i % 2 else "4412",
           Image=r"C:\Windows\System32\svchost.exe" if i % 2 else r"C:\Windows\explorer.exe", ImageLoaded="C:\\Windows\\System32\\" + dll,
           Signed="true", SignatureStatus="Valid", Signature="Microsoft Windows")
    for i in range(6):
        t = f"2026-11-20 09:{13 + i:02d}:{(i * 17) % 60:02d}.{random.randrange(1000):03d}"
        ev(host, 3, t, ProcessGuid=svc, ProcessId="1320", Image=r"C:\Windows\System32\svchost.exe", Protocol="tcp", Initiated="true",
           SourceIp="10.20.4.42", SourcePort=str(50000 + i), DestinationIp="20.190.151.7", DestinationPort="443")
        ev(host, 11, t, ProcessGuid=svc, ProcessId="1320", Image=r"C:\Windows\System32\svchost.exe",
           TargetFilename=f"C:\\Windows\\Logs\\svc\\trace{i}.etl")
    ev(host, 1, "2026-11-20 09:15:44.201", ProcessGuid="{9a1c3e55-7b90-6561-4c02-000000000d00}", ProcessId="5008",
       Image=r"C:\Windows\System32\notepad.exe", OriginalFileName="NOTEPAD.EXE", CommandLine=r'"C:\Windows\System32\notepad.exe" C:\Users\alice\notes.txt',
       ParentProcessGuid=expl, ParentProcessId="4412", ParentImage=r"C:\Windows\explorer.exe", User=r"CORP\alice")

random.shuffle(out)
with open("attack-chain.jsonl", "w", newline="\n") as f:
    for d in out:
        f.write(json.dumps(d, separators=(",", ":")) + "\n")
print(f"wrote {len(out)} events to attack-chain.jsonl")
