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
    public interface IUpdateServer
    {
        UpdateCollection GetUpdates();
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
            foreach (UpdateData update in server.Updates) updates.Add(new Update(update));
            return updates;
        }
    }

    internal sealed class Update : IUpdate
    {
        private readonly UpdateData update;

        internal Update(UpdateData update)
        {
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
