using System;
using System.Runtime.InteropServices;

namespace Ast.ProductKeys
{
    /// <summary>Judges product keys against the vendor's trusted public keys, with the
    /// library that <c>verifier</c> and the support page use, so that all three reach the
    /// same verdict in the same words. Build one at start and keep it: it never changes, and
    /// any number of threads may call it at once. Dispose it when done.</summary>
    public sealed class KeyVerifier : IDisposable
    {
        private static readonly DateTime Epoch = new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        private readonly VerifierHandle handle;
        private readonly byte[] publicKeys;

        /// <summary>A verifier trusting these public keys (each an SPKI PEM,
        /// <c>-----BEGIN PUBLIC KEY-----</c>, as <c>keygen init</c> writes it, or 64 hex
        /// digits); two during a key rotation.</summary>
        /// <exception cref="ArgumentException">No key was given, or one is null.</exception>
        /// <exception cref="ProductKeyException">A key is not a usable Ed25519 public key
        /// (<see cref="ProductKeyError.BadPublicKey"/>).</exception>
        /// <exception cref="InvalidOperationException">The product_key library found is not
        /// the version this binding was written for.</exception>
        /// <exception cref="DllNotFoundException">product_key.dll (libproduct_key.so) was not found.</exception>
        public KeyVerifier(params string[] publicKeyPems)
        {
            if (publicKeyPems == null || publicKeyPems.Length == 0)
            {
                throw new ArgumentException("give at least one trusted public key", "publicKeyPems");
            }
            uint abi = Native.pk_abi_version();
            if (abi != Native.AbiVersion)
            {
                throw new InvalidOperationException(
                    "the product_key library found has interface version " + abi + "; this binding (Ast.ProductKeys " +
                    typeof(KeyVerifier).Assembly.GetName().Version + ") needs version " + Native.AbiVersion +
                    ": install the product_key library of the same release");
            }
            publicKeys = new byte[32 * publicKeyPems.Length];
            for (int i = 0; i < publicKeyPems.Length; i++)
            {
                if (publicKeyPems[i] == null)
                {
                    throw new ArgumentException("trusted public key " + (i + 1) + " is null", "publicKeyPems");
                }
                byte[] one = new byte[32];
                int code = Native.pk_public_key_from_text(Utf8.NulEnded(publicKeyPems[i], "publicKeyPems"), one);
                if (code != 0)
                {
                    throw new ProductKeyException(code,
                        "trusted public key " + (i + 1) + " is not an Ed25519 public key (an SPKI PEM or 64 hex digits) that can be trusted");
                }
                Buffer.BlockCopy(one, 0, publicKeys, 32 * i, 32);
            }
            VerifierHandle made;
            int error = Native.pk_verifier_new(publicKeys, (UIntPtr)publicKeyPems.Length, out made);
            if (error != 0)
            {
                made.Dispose();
                throw new ProductKeyException(error, "the trusted public keys cannot be used");
            }
            handle = made;
        }

        /// <summary>The day to check on now: today's date in UTC.</summary>
        public static DateTime Today
        {
            get { return DateTime.UtcNow.Date; }
        }

        /// <summary>Judges a key: <paramref name="pastedText"/> as the user entered or pasted
        /// it (a whole e-mail is fine), <paramref name="organization"/> as entered (null: no
        /// organization check), on <paramref name="day"/>, a UTC date (a local time is first
        /// turned into UTC; the time of day is ignored).</summary>
        /// <exception cref="ProductKeyException">No verdict: the day is out of range.</exception>
        public Verdict Check(string pastedText, string organization, DateTime day)
        {
            return Check(pastedText, organization, day, null, 0);
        }

        /// <summary>As <see cref="Check(string, string, DateTime)"/>, also applying a signed
        /// revocation list (armoured text, or null for none) that is not older than
        /// <paramref name="highestSequenceSeen"/>, the highest list sequence accepted before.</summary>
        /// <exception cref="ProductKeyException">No verdict: the day is out of range, or the
        /// list cannot be used (its error names why).</exception>
        public Verdict Check(string pastedText, string organization, DateTime day, string revocationList,
            uint highestSequenceSeen = 0)
        {
            return Call(pastedText, organization, day, revocationList, highestSequenceSeen, ReadVerdict);
        }

        /// <summary>The verdict as exactly the JSON <c>verifier check --json</c> prints for the
        /// same input (without its final line break): <c>status</c>, <c>valid</c>,
        /// <c>message</c>, <c>key</c>, <c>found</c>, <c>key_text</c>.</summary>
        /// <exception cref="ProductKeyException">As <see cref="Check(string, string, DateTime)"/>.</exception>
        public string CheckJson(string pastedText, string organization, DateTime day)
        {
            return CheckJson(pastedText, organization, day, null, 0);
        }

        /// <summary>As <see cref="CheckJson(string, string, DateTime)"/>, also applying a
        /// revocation list, as <see cref="Check(string, string, DateTime, string, uint)"/>.</summary>
        public string CheckJson(string pastedText, string organization, DateTime day, string revocationList,
            uint highestSequenceSeen = 0)
        {
            return Call(pastedText, organization, day, revocationList, highestSequenceSeen,
                (ref Native.PkCheck check) => ReadJson(check, Native.pk_verifier_verify_json));
        }

        /// <summary>What <c>verifier check</c> prints, as JSON for a product that lays it out
        /// itself: <c>status</c>, <c>valid</c>, <c>headline</c>, <c>found</c>,
        /// <c>key_text</c>, <c>note</c>, <c>fields</c> (name and value, in the verifier's words).</summary>
        public string ExplainJson(string pastedText, string organization, DateTime day, string revocationList = null,
            uint highestSequenceSeen = 0)
        {
            return Call(pastedText, organization, day, revocationList, highestSequenceSeen,
                (ref Native.PkCheck check) => ReadJson(check, Native.pk_verifier_explain_json));
        }

        /// <summary>Opens a newly received revocation list once, as a check would (signed by a
        /// trusted key, for this product, not older than <paramref name="highestSequenceSeen"/>),
        /// and gives its sequence: store it as the new highest.</summary>
        /// <exception cref="ProductKeyException">The list cannot be used; the error says why.</exception>
        public uint OpenRevocationList(string revocationList, uint highestSequenceSeen)
        {
            if (revocationList == null)
            {
                throw new ArgumentNullException("revocationList");
            }
            ThrowIfDisposed();
            uint sequence;
            int code = Native.pk_open_revocation_list(Utf8.NulEnded(revocationList, "revocationList"), publicKeys,
                (UIntPtr)(publicKeys.Length / 32), highestSequenceSeen, out sequence);
            if (code != 0)
            {
                throw new ProductKeyException(code, "the revocation list cannot be used: " +
                    Utf8.Read(Native.pk_error_name(code)));
            }
            return sequence;
        }

        /// <summary>Releases the library's verifier; calls still running finish first.</summary>
        public void Dispose()
        {
            handle.Dispose();
        }

        private delegate T Reader<T>(ref Native.PkCheck check);

        private T Call<T>(string pastedText, string organization, DateTime day, string revocationList,
            uint highestSequenceSeen, Reader<T> read)
        {
            if (pastedText == null)
            {
                throw new ArgumentNullException("pastedText");
            }
            ThrowIfDisposed();
            using (var text = new Pinned(Utf8.NulEnded(pastedText, "pastedText")))
            using (var org = new Pinned(Utf8.NulEnded(organization, "organization")))
            using (var list = new Pinned(Utf8.NulEnded(revocationList, "revocationList")))
            {
                var check = new Native.PkCheck
                {
                    Text = text.Address,
                    Organization = org.Address,
                    Day = DayNumber(day),
                    RevocationList = list.Address,
                    HighestSequenceSeen = highestSequenceSeen,
                };
                return read(ref check);
            }
        }

        private Verdict ReadVerdict(ref Native.PkCheck check)
        {
            int size = Marshal.SizeOf(typeof(Native.PkVerdict));
            IntPtr native = Marshal.AllocHGlobal(size);
            try
            {
                // The library clears it first too; zeroed here, it is never read unwritten.
                Marshal.Copy(new byte[size], 0, native, size);
                int code = Native.pk_verifier_verify(handle, ref check, native);
                try
                {
                    var raw = (Native.PkVerdict)Marshal.PtrToStructure(native, typeof(Native.PkVerdict));
                    if (code != 0)
                    {
                        throw new ProductKeyException(code, Utf8.Read(raw.Message));
                    }
                    return new Verdict(raw);
                }
                finally
                {
                    Native.pk_verdict_free(native);
                }
            }
            finally
            {
                Marshal.FreeHGlobal(native);
            }
        }

        private delegate int JsonCall(VerifierHandle verifier, ref Native.PkCheck check, out IntPtr json);

        private string ReadJson(Native.PkCheck check, JsonCall call)
        {
            IntPtr json;
            int code = call(handle, ref check, out json);
            string text;
            try
            {
                text = Utf8.Read(json);
            }
            finally
            {
                Native.pk_free_string(json);
            }
            if (code != 0)
            {
                // The JSON says {"error", "message"}; the verdict call refuses the same check
                // and throws with the message as text, with no JSON parser here. Should it
                // not, the JSON itself is the message.
                ReadVerdict(ref check);
                throw new ProductKeyException(code, text);
            }
            return text;
        }

        private void ThrowIfDisposed()
        {
            if (handle.IsClosed)
            {
                throw new ObjectDisposedException("KeyVerifier");
            }
        }

        private static long DayNumber(DateTime day)
        {
            DateTime utc = day.Kind == DateTimeKind.Local ? day.ToUniversalTime() : day;
            return (utc.Date - Epoch.Date).Days;
        }
    }
}
