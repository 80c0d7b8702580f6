// `verifier check --json` on a vector, given as support gives it: the text on stdin, the
// vector's date, organization, trusted keys and list as arguments. The arguments go through
// the environment to `sh -c`, so that any organization (tabs, line breaks, quotes) reaches
// the verifier unchanged.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading.Tasks;

internal sealed class VerifierTool
{
    private const string Script =
        "set -- check - --json --at \"$AT\"\n" +
        "for k in \"$KEYS_DIR\"/*.hex; do set -- \"$@\" --public-key \"$k\"; done\n" +
        "if [ -n \"${LIST+x}\" ]; then set -- \"$@\" --revocations \"$LIST\"; fi\n" +
        "exec \"$VERIFIER\" \"$@\" ${ORG+\"--org=$ORG\"}\n";

    private readonly string verifier;

    internal VerifierTool(string verifier)
    {
        this.verifier = Path.GetFullPath(verifier);
    }

    // The exit code (0, or 3 to 8) and stdout.
    internal Tuple<int, string> Check(Dictionary<string, object> vector)
    {
        string scratch = Path.Combine(Path.GetTempPath(), "pk-dotnet-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(scratch);
        try
        {
            string script = Path.Combine(scratch, "run.sh");
            File.WriteAllText(script, Script);
            var start = new ProcessStartInfo("sh", "\"" + script + "\"")
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            var env = start.EnvironmentVariables;
            env.Remove("VERIFIER_PUBLIC_KEYS");
            env.Remove("VERIFIER_REVOCATIONS");
            env["NO_COLOR"] = "1";
            env["VERIFIER"] = verifier;
            env["AT"] = (string)vector["at"];
            env["KEYS_DIR"] = scratch;
            var keys = ((object[])vector["trusted_public_keys"]).Cast<string>().ToArray();
            for (int i = 0; i < keys.Length; i++)
            {
                File.WriteAllText(Path.Combine(scratch, "key" + i + ".hex"), keys[i]);
            }
            object org;
            if (vector.TryGetValue("org", out org) && org != null)
            {
                env["ORG"] = (string)org;
            }
            object list;
            if (vector.TryGetValue("revocations", out list) && list != null)
            {
                string listFile = Path.Combine(scratch, "list.txt");
                File.WriteAllText(listFile, (string)list);
                env["LIST"] = listFile;
            }
            using (var process = Process.Start(start))
            {
                var output = new MemoryStream();
                var errors = new MemoryStream();
                Task reading = process.StandardOutput.BaseStream.CopyToAsync(output);
                Task readingErrors = process.StandardError.BaseStream.CopyToAsync(errors);
                byte[] input = new UTF8Encoding(false).GetBytes((string)vector["key"]);
                process.StandardInput.BaseStream.Write(input, 0, input.Length);
                process.StandardInput.Close();
                Task.WaitAll(reading, readingErrors);
                process.WaitForExit();
                if (process.ExitCode != 0 && (process.ExitCode < 3 || process.ExitCode > 8))
                {
                    throw new InvalidOperationException(vector["name"] + ": verifier exited " + process.ExitCode + ": " +
                        Encoding.UTF8.GetString(errors.ToArray()));
                }
                return Tuple.Create(process.ExitCode, Encoding.UTF8.GetString(output.ToArray()));
            }
        }
        finally
        {
            Directory.Delete(scratch, true);
        }
    }
}
