// The stand-in's server: one JSON file a test writes (its path in WSUS_STANDIN_SERVER), read when a
// script calls AdminProxy.GetUpdateServer() and written back when the script's process ends, with
// every API method the script called appended to "calls" (in order) and whatever it changed.
//
// The file also holds what the real server decides that no script asks for: whether it can be
// reached, whether the caller is a WSUS administrator, and faults (an exception thrown by the Nth call
// of a method), so tests can see how a script fails. Fields are snake_case; unknown fields are refused
// so a test's typo does not go unnoticed. Groups, approvals and settings are part of the model (for the
// approval scripts). A server without groups gets the two built-in ones (All Computers and Unassigned
// Computers, by their fixed ids); a test gives them itself to name them in another language.

using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Microsoft.UpdateServices.Administration
{
    internal sealed class ServerData
    {
        public string Version { get; set; } = "10.0.17763.678";
        public bool Reachable { get; set; } = true;
        public bool CallerIsAdministrator { get; set; } = true;
        public List<FaultData> Faults { get; set; } = new();
        public ConfigurationData Configuration { get; set; } = new();
        public List<GroupData> Groups { get; set; } = new();
        public List<UpdateData> Updates { get; set; } = new();
        public List<string> Calls { get; set; } = new();
    }

    // Throws `Exception` ("WebException", "WsusObjectNotFoundException" or "InvalidOperationException")
    // with `Message` on the `Call`-th call (1-based) of `Member` ("IUpdate.GetInstallableItems").
    internal sealed class FaultData
    {
        public string Member { get; set; } = "";
        public int Call { get; set; } = 1;
        public string Exception { get; set; } = "WebException";
        public string Message { get; set; } = "The underlying connection was closed: An unexpected error occurred on a receive.";
    }

    internal sealed class ConfigurationData
    {
        public bool DownloadExpressPackages { get; set; }
        public bool AllUpdateLanguagesEnabled { get; set; }
        public List<string> EnabledUpdateLanguages { get; set; } = new() { "en" };
        public bool DownloadUpdateBinariesAsNeeded { get; set; }
        public bool HostBinariesOnMicrosoftUpdate { get; set; }
        public bool GetContentFromMU { get; set; }
        public bool IsReplicaServer { get; set; }
        public string TargetingMode { get; set; } = "Server";
        public bool SyncFromMicrosoftUpdate { get; set; } = true;
        public string LocalContentCachePath { get; set; } = @"C:\WSUS\WsusContent";
    }

    internal sealed class GroupData
    {
        public Guid Id { get; set; }
        public string Name { get; set; } = "";
        public Guid? ParentId { get; set; }
    }

    internal sealed class ApprovalData
    {
        public Guid ComputerTargetGroupId { get; set; }
        public string Action { get; set; } = "Install";
        public DateTime? DeadlineUtc { get; set; }
        public bool IsOptional { get; set; }
    }

    internal sealed class UpdateData
    {
        public Guid UpdateId { get; set; }
        public int Revision { get; set; } = 100;
        public string Title { get; set; } = "";
        public List<string> Kb { get; set; } = new();
        public string Classification { get; set; } = "Security Updates";
        public string State { get; set; } = "Ready";
        public bool IsDeclined { get; set; }
        public bool IsSuperseded { get; set; }
        public bool RequiresLicenseAgreementAcceptance { get; set; }
        public bool LicenseAccepted { get; set; }
        public List<ApprovalData> Approvals { get; set; } = new();
        public List<InstallableItemData> InstallableItems { get; set; } = new();
    }

    internal sealed class InstallableItemData
    {
        public Guid Id { get; set; }
        public List<FileData> Files { get; set; } = new();
        public List<InstallableItemData> InstallableItems { get; set; } = new();
    }

    internal sealed class FileData
    {
        public string Name { get; set; } = "";
        public string Sha1 { get; set; } = "";        // hex, 40 digits
        public string? Sha256 { get; set; }           // hex, 64 digits, or absent
        public long Size { get; set; }
        public string? Uri { get; set; }
    }

    internal static class Store
    {
        private static readonly JsonSerializerOptions Options = new()
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            WriteIndented = true,
        };

        private static readonly object Gate = new();
        private static ServerData? data;
        private static string? path;
        private static readonly Dictionary<string, int> CallCounts = new();

        // The server, loaded on first use. A missing WSUS_STANDIN_SERVER is a server that is not there.
        internal static ServerData Server
        {
            get
            {
                lock (Gate)
                {
                    if (data != null) return data;
                    path = Environment.GetEnvironmentVariable("WSUS_STANDIN_SERVER");
                    if (string.IsNullOrEmpty(path) || !File.Exists(path))
                    {
                        data = new ServerData { Reachable = false };
                        path = null;
                        return data;
                    }
                    data = JsonSerializer.Deserialize<ServerData>(File.ReadAllText(path), Options)
                           ?? throw new InvalidDataException(path + ": is not a server description");
                    if (data.Groups.Count == 0)
                    {
                        data.Groups.Add(new GroupData { Id = ComputerTargetGroupId.AllComputers, Name = "All Computers" });
                        data.Groups.Add(new GroupData { Id = ComputerTargetGroupId.UnassignedComputers, Name = "Unassigned Computers",
                                                        ParentId = ComputerTargetGroupId.AllComputers });
                    }
                    AppDomain.CurrentDomain.ProcessExit += (_, _) => Save();
                    return data;
                }
            }
        }

        // Records a call of `member` and throws the fault the test configured for it, if any.
        internal static void Call(string member)
        {
            ServerData server = Server;
            lock (Gate)
            {
                server.Calls.Add(member);
                CallCounts[member] = CallCounts.GetValueOrDefault(member) + 1;
                foreach (FaultData fault in server.Faults)
                {
                    if (fault.Member == member && fault.Call == CallCounts[member]) throw Make(fault);
                }
            }
        }

        private static Exception Make(FaultData fault) => fault.Exception switch
        {
            "WebException" => new System.Net.WebException(fault.Message, System.Net.WebExceptionStatus.ReceiveFailure),
            "WsusObjectNotFoundException" => new WsusObjectNotFoundException(fault.Message),
            "InvalidOperationException" => new InvalidOperationException(fault.Message),
            _ => throw new InvalidDataException("fault exception \"" + fault.Exception + "\" is not one the stand-in throws"),
        };

        // Writes the server back (temp file + rename) so the test reads what the script did.
        private static void Save()
        {
            lock (Gate)
            {
                if (data == null || path == null) return;
                string temp = path + ".tmp";
                File.WriteAllText(temp, JsonSerializer.Serialize(data, Options));
                File.Move(temp, path, true);
            }
        }

        internal static byte[] FromHex(string hex, string what)
        {
            try
            {
                return Convert.FromHexString(hex);
            }
            catch (FormatException)
            {
                throw new InvalidDataException(what + " \"" + hex + "\" is not hex");
            }
        }
    }
}
