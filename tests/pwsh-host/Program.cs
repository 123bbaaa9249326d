// pwsh-host: stands in for powershell.exe in tests. wsus-airgap starts Windows PowerShell 5.1 as
//   powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File SCRIPT [ARGS...]
// and this program accepts exactly that command line, refuses any other, and hands it to PowerShell's
// own console host (Microsoft.PowerShell.ConsoleShell, the code behind pwsh), so the script's exit code,
// its standard output and its error text come out as PowerShell itself produces them.
//
// The WSUS administration API is not referenced. A script loads it with its own line
//   [Reflection.Assembly]::LoadWithPartialName('Microsoft.UpdateServices.Administration')
// which on a WSUS server finds the assembly the WSUS console installed. Here the same request is
// answered from the folder WSUS_STANDIN_API_DIR names (the built tests/wsus-api); with the variable
// unset the assembly is not found, as on a machine without the WSUS console.

using System;
using System.IO;
using System.Reflection;
using System.Runtime.Loader;

internal static class Program
{
    private const string ApiAssembly = "Microsoft.UpdateServices.Administration";

    private static readonly string[] ExpectedPrefix =
        { "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-File" };

    private static int Main(string[] args)
    {
        if (args.Length <= ExpectedPrefix.Length || !HasExpectedPrefix(args))
        {
            Console.Error.WriteLine(
                "pwsh-host: expected the command line wsus-airgap gives powershell.exe: " +
                string.Join(' ', ExpectedPrefix) + " SCRIPT [ARGS...]; got: " + string.Join(' ', args));
            return 64;
        }
        if (!File.Exists(args[ExpectedPrefix.Length]))
        {
            Console.Error.WriteLine("pwsh-host: the script " + args[ExpectedPrefix.Length] + " does not exist");
            return 64;
        }

        AssemblyLoadContext.Default.Resolving += ResolveStandIn;
        // Windows PowerShell 5.1 writes errors as plain text; PowerShell 7 colours them unless told not to.
        Environment.SetEnvironmentVariable("NO_COLOR", "1");
        return Microsoft.PowerShell.ConsoleShell.Start(null, null, args);
    }

    private static bool HasExpectedPrefix(string[] args)
    {
        for (int i = 0; i < ExpectedPrefix.Length; i++)
        {
            if (!string.Equals(args[i], ExpectedPrefix[i], StringComparison.Ordinal)) return false;
        }
        return true;
    }

    private static Assembly? ResolveStandIn(AssemblyLoadContext context, AssemblyName name)
    {
        if (!string.Equals(name.Name, ApiAssembly, StringComparison.OrdinalIgnoreCase)) return null;
        string? folder = Environment.GetEnvironmentVariable("WSUS_STANDIN_API_DIR");
        if (string.IsNullOrEmpty(folder)) return null;
        string path = Path.Combine(folder, ApiAssembly + ".dll");
        return File.Exists(path) ? context.LoadFromAssemblyPath(Path.GetFullPath(path)) : null;
    }
}
