// One KeyVerifier shared by several threads at once: every thread, started together, judges
// every vector of the verifier many times, and each answer must be the verifier's.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;

internal static class Threads
{
    private const int ThreadCount = 8;
    private const int Rounds = 20;

    internal static void Check(List<Case> cases, VerifierTool tool)
    {
        // The vectors of the most common key set share one KeyVerifier.
        var shared = cases.GroupBy(c => c.Verifier).OrderByDescending(g => g.Count()).First().ToList();
        var start = new Barrier(ThreadCount);
        var failures = new List<string>();
        var threads = Enumerable.Range(0, ThreadCount).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            for (int round = 0; round < Rounds; round++)
            {
                // Each thread walks the vectors in its own order, so that different keys meet.
                for (int i = 0; i < shared.Count; i++)
                {
                    var c = shared[(i + t * 7) % shared.Count];
                    string json;
                    try
                    {
                        json = c.Json() + "\n";
                    }
                    catch (Exception e)
                    {
                        json = e.ToString();
                    }
                    if (json != c.ExpectedJson)
                    {
                        lock (failures)
                        {
                            failures.Add("thread " + t + ", " + c.Name + ": " + json);
                        }
                    }
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Program.Expect("threads", ThreadCount + " threads sharing one KeyVerifier over " + shared.Count + " vectors",
            "no difference", failures.Count == 0 ? "no difference" : failures.Count + " differences, first: " + failures[0]);
    }
}
