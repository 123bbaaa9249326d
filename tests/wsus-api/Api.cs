// The members of Microsoft.UpdateServices.Administration that the project's scripts use, with the
// types Microsoft documents, and nothing else: a script that calls a member this file lacks fails
// here as it would on a server where the member does not exist (scripts run with Set-StrictMode).
// Each type cites its page in Microsoft's WSUS API reference (learn.microsoft.com, previous-versions).

using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Collections.Specialized;
using System.Linq;
using System.Security;

namespace Microsoft.UpdateServices.Administration
{
    // AdminProxy Class: https://learn.microsoft.com/en-us/previous-versions/windows/desktop/aa354254(v=vs.85)
    // GetUpdateServer(): https://learn.microsoft.com/en-us/previous-versions/windows/desktop/ms745830(v=vs.85)
    // ("WebException: The server could not be contacted"). A caller who is not a WSUS administrator gets
    // a SecurityException "Request for principal permission failed." (seen through Get-WsusServer,
    // github.com/zbx-sadman/WSUS issue 1).
    public sealed class AdminProxy
    {
        public static IUpdateServer GetUpdateServer()
        {
            ServerData server = Store.Server;
            if (!server.Reachable)
            {
                throw new System.Net.WebException("Unable to connect to the remote server",
                                                  System.Net.WebExceptionStatus.ConnectFailure);
            }
            if (!server.CallerIsAdministrator) throw new SecurityException("Request for principal permission failed.");
            Store.Call("AdminProxy.GetUpdateServer");
            return new UpdateServer(server);
        }
    }

    // IUpdateServer Interface: https://learn.microsoft.com/en-us/previous-versions/windows/desktop/ms747091(v=vs.85)
    // (GetUpdates(): "the latest revision of each update", superseded and declined ones included).
    // Version (System.Version), GetConfiguration(), GetComputerTargetGroups(), GetComputerTargetGroup(Guid),
    // CreateComputerTargetGroup(string, IComputerTargetGroup), GetUpdate(UpdateRevisionId): the same page.
    public interface IUpdateServer
    {
        UpdateCollection GetUpdates();
        Version Version { get; }
        IUpdateServerConfiguration GetConfiguration();
        ComputerTargetGroupCollection GetComputerTargetGroups();
        IComputerTargetGroup GetComputerTargetGroup(Guid id);
        IComputerTargetGroup CreateComputerTargetGroup(string name, IComputerTargetGroup parentGroup);
        IUpdate GetUpdate(UpdateRevisionId id);
    }

    // WsusCollection / UpdateCollection (CollectionBase -> WsusCollection -> UpdateCollection):
    // https://learn.microsoft.com/en-us/previous-versions/windows/desktop/ms752803(v=vs.85)
    public class WsusCollection : CollectionBase
    {
    }

    public class UpdateCollection : WsusCollection
    {
        public IUpdate this[int index] => (IUpdate)InnerList[index]!;

        public int Add(IUpdate value) => InnerList.Add(value);
    }

    // ComputerTargetGroupCollection, UpdateApprovalCollection: WsusCollection subclasses of the same page.
    public class ComputerTargetGroupCollection : WsusCollection
    {
        public IComputerTargetGroup this[int index] => (IComputerTargetGroup)InnerList[index]!;

        public int Add(IComputerTargetGroup value) => InnerList.Add(value);
    }

    public class UpdateApprovalCollection : WsusCollection
    {
        public IUpdateApproval this[int index] => (IUpdateApproval)InnerList[index]!;

        public int Add(IUpdateApproval value) => InnerList.Add(value);
    }

    // IUpdateServerConfiguration Interface (the members wsus-api.md lists as mattering for export/import).
    // GetEnabledUpdateLanguages() returns a StringCollection of language codes ("en", "de").
    public interface IUpdateServerConfiguration
    {
        bool DownloadExpressPackages { get; }
        bool AllUpdateLanguagesEnabled { get; }
        bool DownloadUpdateBinariesAsNeeded { get; }
        bool IsReplicaServer { get; }
        TargetingMode TargetingMode { get; }
        StringCollection GetEnabledUpdateLanguages();
    }

    // TargetingMode Enumeration: Server (groups assigned in the console) or Client (by Group Policy).
    public enum TargetingMode
    {
        Server = 0,
        Client = 1,
    }

    // UpdateApprovalAction Enumeration; values as a public DSC module uses them (wsus-api.md).
    public enum UpdateApprovalAction
    {
        Install = 0,
        Uninstall = 1,
        NotApproved = 3,
    }

    // ComputerTargetGroupId Class: static fields of the built-in groups, whose names are localised.
    public static class ComputerTargetGroupId
    {
        public static readonly Guid AllComputers = new("a0a08746-4dbe-4a37-9adf-9e7652c0b421");
        public static readonly Guid UnassignedComputers = new("b73ca6ed-5727-47f3-84de-015e03f6a88a");
    }

    // IComputerTargetGroup Interface: Id, Name, GetParentTargetGroup(), GetChildTargetGroups(), Delete().
    public interface IComputerTargetGroup
    {
        Guid Id { get; }
        string Name { get; }
        IComputerTargetGroup GetParentTargetGroup();
        ComputerTargetGroupCollection GetChildTargetGroups();
        void Delete();
    }

    // IUpdateApproval Interface: Deadline is DateTime.MaxValue when the approval has none.
    public interface IUpdateApproval
    {
        Guid ComputerTargetGroupId { get; }
        UpdateApprovalAction Action { get; }
        DateTime Deadline { get; }
        bool IsOptional { get; }
        UpdateRevisionId UpdateId { get; }
        void Delete();
    }

    // IUpdate Interface: Id https://learn.microsoft.com/en-us/previous-versions/ms752959(v=vs.85),
    // Title, KnowledgebaseArticles (StringCollection, empty when none)
    // https://learn.microsoft.com/en-us/previous-versions/windows/desktop/ms751992(v=vs.85),
    // UpdateClassificationTitle, State https://learn.microsoft.com/en-us/previous-versions/windows/desktop/ms752002(v=vs.85),
    // GetInstallableItems() https://learn.microsoft.com/en-us/previous-versions/windows/desktop/aa350147(v=vs.85)
    // ("the directly bundled ... child updates ... and an InstallableItem on behalf of this update if
    // the update itself has files"; WsusObjectNotFoundException when the update is gone).
    public interface IUpdate
    {
        UpdateRevisionId Id { get; }
        string Title { get; }
        StringCollection KnowledgebaseArticles { get; }
        string UpdateClassificationTitle { get; }
        UpdateState State { get; }
        ReadOnlyCollection<IInstallableItem> GetInstallableItems();
        // Approvals and declines (IUpdate Interface: IsApproved, IsDeclined, RequiresLicenseAgreementAcceptance,
        // AcceptLicenseAgreement(), Decline(), Approve(action, group), Approve(action, group, deadline),
        // ApproveForOptionalInstall(group), GetUpdateApprovals()).
        bool IsApproved { get; }
        bool IsDeclined { get; }
        bool HasLicenseAgreement { get; }
        bool RequiresLicenseAgreementAcceptance { get; }
        void AcceptLicenseAgreement();
        void Decline();
        IUpdateApproval Approve(UpdateApprovalAction action, IComputerTargetGroup group);
        IUpdateApproval Approve(UpdateApprovalAction action, IComputerTargetGroup group, DateTime deadline);
        IUpdateApproval ApproveForOptionalInstall(IComputerTargetGroup group);
        UpdateApprovalCollection GetUpdateApprovals();
    }

    // UpdateRevisionId Class: https://learn.microsoft.com/en-us/previous-versions/windows/desktop/ms752950(v=vs.85)
    // RevisionNumber (int): https://learn.microsoft.com/en-us/previous-versions/windows/desktop/aa353748(v=vs.85)
    public class UpdateRevisionId
    {
        public UpdateRevisionId()
        {
        }

        public UpdateRevisionId(Guid updateId) => UpdateId = updateId;

        public UpdateRevisionId(Guid updateId, int revisionNumber)
        {
            UpdateId = updateId;
            RevisionNumber = revisionNumber;
        }

        public Guid UpdateId { get; set; }
        public int RevisionNumber { get; set; }

        public override bool Equals(object? obj) =>
            obj is UpdateRevisionId other && other.UpdateId == UpdateId && other.RevisionNumber == RevisionNumber;

        public override int GetHashCode() => HashCode.Combine(UpdateId, RevisionNumber);
    }

    // UpdateState Enumeration: https://learn.microsoft.com/en-us/previous-versions/windows/desktop/ms752993(v=vs.85)
    // Values from https://learn.microsoft.com/en-us/previous-versions/ms824850(v=msdn.10): Canceled 6,
    // Failed 7, InstallationImpossible 2. The reference names the others without a value seen here;
    // scripts compare by name, never by number.
    public enum UpdateState
    {
        Unknown = 0,
        NotReady = 1,
        InstallationImpossible = 2,
        LicenseAgreementFailed = 3,
        WaitingForLicenseAgreement = 4,
        Ready = 5,
        Canceled = 6,
        Failed = 7,
        NotNeeded = 8,
    }

    // IInstallableItem Interface: https://learn.microsoft.com/en-us/previous-versions/windows/desktop/aa354298(v=vs.85)
    // Files (ReadOnlyCollection<UpdateFile>): https://learn.microsoft.com/en-us/previous-versions/windows/desktop/aa351893(v=vs.85)
    // GetInstallableItems(): https://learn.microsoft.com/en-us/previous-versions/windows/desktop/aa349595(v=vs.85)
    public interface IInstallableItem
    {
        ReadOnlyCollection<UpdateFile> Files { get; }
        ReadOnlyCollection<IInstallableItem> GetInstallableItems();
    }

    // UpdateFile Class: https://learn.microsoft.com/en-us/previous-versions/windows/desktop/aa354524(v=vs.85)
    // Name, Hash (SHA-1 bytes) https://learn.microsoft.com/en-us/previous-versions/windows/desktop/aa353737(v=vs.85),
    // AdditionalHash (SHA-2 bytes) https://learn.microsoft.com/en-us/previous-versions/windows/desktop/dn622973(v=vs.85),
    // TotalBytes (long) https://learn.microsoft.com/en-us/previous-versions/windows/desktop/aa353741(v=vs.85), FileUri (Uri).
    // The public constructor Microsoft documents is not used by any script, so it is internal here.
    public class UpdateFile
    {
        internal UpdateFile(FileData file)
        {
            Name = file.Name;
            Hash = Store.FromHex(file.Sha1, "sha1 of " + file.Name);
            AdditionalHash = file.Sha256 == null ? null : Store.FromHex(file.Sha256, "sha256 of " + file.Name);
            TotalBytes = file.Size;
            FileUri = file.Uri == null ? null : new Uri(file.Uri);
        }

        public string Name { get; }
        public byte[] Hash { get; }
        public byte[]? AdditionalHash { get; }
        public long TotalBytes { get; }
        public Uri? FileUri { get; }
    }

    // WsusObjectNotFoundException, thrown by GetInstallableItems() when the update is gone (see IUpdate).
    [Serializable]
    public class WsusObjectNotFoundException : Exception
    {
        public WsusObjectNotFoundException(string message) : base(message)
        {
        }
    }

    internal sealed class UpdateServer : IUpdateServer
    {
        private readonly ServerData server;

        internal UpdateServer(ServerData server) => this.server = server;

        public UpdateCollection GetUpdates()
        {
            Store.Call("IUpdateServer.GetUpdates");
            var updates = new UpdateCollection();
            foreach (UpdateData update in server.Updates) updates.Add(new Update(server, update));
            return updates;
        }

        public Version Version => new(server.Version);

        public IUpdateServerConfiguration GetConfiguration()
        {
            Store.Call("IUpdateServer.GetConfiguration");
            return new UpdateServerConfiguration(server.Configuration);
        }

        public ComputerTargetGroupCollection GetComputerTargetGroups()
        {
            Store.Call("IUpdateServer.GetComputerTargetGroups");
            var groups = new ComputerTargetGroupCollection();
            foreach (GroupData group in server.Groups) groups.Add(new ComputerTargetGroup(server, group));
            return groups;
        }

        public IComputerTargetGroup GetComputerTargetGroup(Guid id)
        {
            Store.Call("IUpdateServer.GetComputerTargetGroup");
            GroupData group = server.Groups.FirstOrDefault(g => g.Id == id)
                              ?? throw new WsusObjectNotFoundException("The computer target group " + id + " was not found.");
            return new ComputerTargetGroup(server, group);
        }

        // The stand-in refuses a second child of the same name, as the console does [U: the real exception type].
        public IComputerTargetGroup CreateComputerTargetGroup(string name, IComputerTargetGroup parentGroup)
        {
            Store.Call("IUpdateServer.CreateComputerTargetGroup");
            if (server.Configuration.IsReplicaServer) throw new InvalidOperationException("A replica server cannot create groups.");
            if (server.Groups.Any(g => g.ParentId == parentGroup.Id && g.Name == name))
                throw new InvalidOperationException("A computer target group named " + name + " already exists.");
            var group = new GroupData { Id = Guid.NewGuid(), Name = name, ParentId = parentGroup.Id };
            server.Groups.Add(group);
            return new ComputerTargetGroup(server, group);
        }

        public IUpdate GetUpdate(UpdateRevisionId id)
        {
            Store.Call("IUpdateServer.GetUpdate");
            UpdateData update = server.Updates.FirstOrDefault(u => u.UpdateId == id.UpdateId && u.Revision == id.RevisionNumber)
                                ?? throw new WsusObjectNotFoundException("The update " + id.UpdateId + " revision " + id.RevisionNumber + " was not found.");
            return new Update(server, update);
        }
    }

    internal sealed class UpdateServerConfiguration : IUpdateServerConfiguration
    {
        private readonly ConfigurationData configuration;

        internal UpdateServerConfiguration(ConfigurationData configuration) => this.configuration = configuration;

        public bool DownloadExpressPackages => configuration.DownloadExpressPackages;
        public bool AllUpdateLanguagesEnabled => configuration.AllUpdateLanguagesEnabled;
        public bool DownloadUpdateBinariesAsNeeded => configuration.DownloadUpdateBinariesAsNeeded;
        public bool IsReplicaServer => configuration.IsReplicaServer;
        public TargetingMode TargetingMode => Enum.Parse<TargetingMode>(configuration.TargetingMode);

        public StringCollection GetEnabledUpdateLanguages()
        {
            Store.Call("IUpdateServerConfiguration.GetEnabledUpdateLanguages");
            var languages = new StringCollection();
            languages.AddRange(configuration.EnabledUpdateLanguages.ToArray());
            return languages;
        }
    }

    internal sealed class ComputerTargetGroup : IComputerTargetGroup
    {
        private readonly ServerData server;
        private readonly GroupData group;

        internal ComputerTargetGroup(ServerData server, GroupData group)
        {
            this.server = server;
            this.group = group;
        }

        public Guid Id => group.Id;
        public string Name => group.Name;

        // All Computers has no parent [U: what the real API does there]; the stand-in throws, so a script
        // must not ask.
        public IComputerTargetGroup GetParentTargetGroup()
        {
            Store.Call("IComputerTargetGroup.GetParentTargetGroup");
            GroupData parent = server.Groups.FirstOrDefault(g => g.Id == group.ParentId)
                               ?? throw new WsusObjectNotFoundException("The group " + group.Name + " has no parent.");
            return new ComputerTargetGroup(server, parent);
        }

        public ComputerTargetGroupCollection GetChildTargetGroups()
        {
            Store.Call("IComputerTargetGroup.GetChildTargetGroups");
            var children = new ComputerTargetGroupCollection();
            foreach (GroupData child in server.Groups.Where(g => g.ParentId == group.Id)) children.Add(new ComputerTargetGroup(server, child));
            return children;
        }

        public void Delete()
        {
            Store.Call("IComputerTargetGroup.Delete");
            server.Groups.Remove(group);
        }
    }

    internal sealed class UpdateApproval : IUpdateApproval
    {
        private readonly UpdateData update;
        private readonly ApprovalData approval;

        internal UpdateApproval(UpdateData update, ApprovalData approval)
        {
            this.update = update;
            this.approval = approval;
        }

        public Guid ComputerTargetGroupId => approval.ComputerTargetGroupId;
        public UpdateApprovalAction Action => Enum.Parse<UpdateApprovalAction>(approval.Action);
        public DateTime Deadline => approval.DeadlineUtc.HasValue
            ? DateTime.SpecifyKind(approval.DeadlineUtc.Value, DateTimeKind.Utc)
            : DateTime.MaxValue;
        public bool IsOptional => approval.IsOptional;
        public UpdateRevisionId UpdateId => new(update.UpdateId, update.Revision);

        public void Delete()
        {
            Store.Call("IUpdateApproval.Delete");
            update.Approvals.Remove(approval);
        }
    }

    internal sealed class Update : IUpdate
    {
        private readonly ServerData server;
        private readonly UpdateData update;

        internal Update(ServerData server, UpdateData update)
        {
            this.server = server;
            this.update = update;
            KnowledgebaseArticles = new StringCollection();
            KnowledgebaseArticles.AddRange(update.Kb.ToArray());
        }

        public UpdateRevisionId Id => new(update.UpdateId, update.Revision);
        public string Title => update.Title;
        public StringCollection KnowledgebaseArticles { get; }
        public string UpdateClassificationTitle => update.Classification;
        public UpdateState State => Enum.Parse<UpdateState>(update.State);

        public ReadOnlyCollection<IInstallableItem> GetInstallableItems()
        {
            Store.Call("IUpdate.GetInstallableItems");
            return InstallableItem.Wrap(update.InstallableItems);
        }

        public bool IsApproved => update.Approvals.Any(a => a.Action != "NotApproved");
        public bool IsDeclined => update.IsDeclined;
        public bool HasLicenseAgreement => update.RequiresLicenseAgreementAcceptance;
        // True while the licence is not accepted (ms751982: "call RequiresLicenseAgreementAcceptance").
        public bool RequiresLicenseAgreementAcceptance => update.RequiresLicenseAgreementAcceptance && !update.LicenseAccepted;

        public void AcceptLicenseAgreement()
        {
            Store.Call("IUpdate.AcceptLicenseAgreement");
            if (!update.RequiresLicenseAgreementAcceptance)
                throw new WsusObjectNotFoundException("The update does not have an associated License Agreement.");
            update.LicenseAccepted = true;
        }

        // Declining removes the update's approvals [U: seen in the console, not in the reference].
        public void Decline()
        {
            Store.Call("IUpdate.Decline");
            RefuseOnReplica();
            update.IsDeclined = true;
            update.Approvals.Clear();
        }

        public IUpdateApproval Approve(UpdateApprovalAction action, IComputerTargetGroup group) =>
            Record("IUpdate.Approve", action, group, null, false);

        public IUpdateApproval Approve(UpdateApprovalAction action, IComputerTargetGroup group, DateTime deadline) =>
            Record("IUpdate.Approve", action, group, deadline.Kind == DateTimeKind.Local ? deadline.ToUniversalTime() : deadline, false);

        public IUpdateApproval ApproveForOptionalInstall(IComputerTargetGroup group) =>
            Record("IUpdate.ApproveForOptionalInstall", UpdateApprovalAction.Install, group, null, true);

        public UpdateApprovalCollection GetUpdateApprovals()
        {
            Store.Call("IUpdate.GetUpdateApprovals");
            var approvals = new UpdateApprovalCollection();
            foreach (ApprovalData approval in update.Approvals) approvals.Add(new UpdateApproval(update, approval));
            return approvals;
        }

        private void RefuseOnReplica()
        {
            if (server.Configuration.IsReplicaServer)
                throw new InvalidOperationException("This operation is not allowed on a replica server.");
        }

        // One approval per group: a new one replaces the group's previous one. Approving a declined update
        // un-declines it; an install needs the licence accepted first [U: the exception types].
        private IUpdateApproval Record(string member, UpdateApprovalAction action, IComputerTargetGroup group,
                                       DateTime? deadline, bool optional)
        {
            Store.Call(member);
            RefuseOnReplica();
            if (!server.Groups.Any(g => g.Id == group.Id))
                throw new WsusObjectNotFoundException("The computer target group " + group.Id + " was not found.");
            if (action == UpdateApprovalAction.Install && RequiresLicenseAgreementAcceptance)
                throw new InvalidOperationException("The license agreement of the update must be accepted before it is approved.");
            update.Approvals.RemoveAll(a => a.ComputerTargetGroupId == group.Id);
            var approval = new ApprovalData
            {
                ComputerTargetGroupId = group.Id,
                Action = action.ToString(),
                DeadlineUtc = deadline,
                IsOptional = optional,
            };
            update.Approvals.Add(approval);
            update.IsDeclined = false;
            return new UpdateApproval(update, approval);
        }
    }

    internal sealed class InstallableItem : IInstallableItem
    {
        private readonly InstallableItemData item;

        private InstallableItem(InstallableItemData item)
        {
            this.item = item;
            Files = item.Files.Select(file => new UpdateFile(file)).ToList().AsReadOnly();
        }

        internal static ReadOnlyCollection<IInstallableItem> Wrap(List<InstallableItemData> items) =>
            items.Select(item => (IInstallableItem)new InstallableItem(item)).ToList().AsReadOnly();

        public ReadOnlyCollection<UpdateFile> Files { get; }

        public ReadOnlyCollection<IInstallableItem> GetInstallableItems()
        {
            Store.Call("IInstallableItem.GetInstallableItems");
            return Wrap(item.InstallableItems);
        }
    }
}
