// The lab drives Linux processes (/proc, signals, PID namespaces): Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
