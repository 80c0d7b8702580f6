// The C ABI of product-key-ffi/include/product_key.h, declared for P/Invoke. Every C `bool`
// is a byte (a C# bool is marshalled as 4 bytes), size_t is UIntPtr and pointers IntPtr, so
// that the layouts hold on 32-bit and 64-bit processes alike; every function is Cdecl (the
// header's convention; DllImport's default on 32-bit Windows is StdCall, which would
// corrupt the stack there).
using System;
using System.Runtime.InteropServices;

namespace Ast.ProductKeys
{
    internal static class Native
    {
        // product_key.dll on Windows; Mono and .NET on Linux look for libproduct_key.so.
        private const string Library = "product_key";

        // The PK_ABI_VERSION these declarations were written for.
        internal const uint AbiVersion = 2;

        [StructLayout(LayoutKind.Sequential)]
        internal struct PkCheck
        {
            public IntPtr Text;
            public IntPtr Organization;
            public long Day;
            public IntPtr RevocationList;
            public uint HighestSequenceSeen;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct PkVerdict
        {
            public int Status;
            public int ExitCode;
            public byte Valid;
            public byte Trusted;
            public byte HasKey;
            [MarshalAs(UnmanagedType.ByValArray, SizeConst = 9)]
            public byte[] Product;
            public byte MajorVersion;
            public ulong Serial;
            [MarshalAs(UnmanagedType.ByValArray, SizeConst = 4)]
            public byte[] KeyId;
            public IntPtr Organization;
            public ushort Seats;
            public byte SeatsUnlimited;
            public ulong Features;
            public int Issued;
            public byte Perpetual;
            public int Expires;
            public byte HasSupersedes;
            public ulong Supersedes;
            public byte Found;
            public UIntPtr FoundFrom;
            public UIntPtr FoundTo;
            public byte RevocationsApplied;
            public uint RevocationSequence;
            public IntPtr Message;
            public IntPtr KeyText;
        }

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern uint pk_abi_version();

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int pk_public_key_from_text(byte[] text, [Out] byte[] out32);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int pk_verifier_new(byte[] publicKeys, UIntPtr publicKeyCount, out VerifierHandle verifier);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void pk_verifier_free(IntPtr verifier);

        // The verdict is written to native memory the caller owns (`out`), so that
        // pk_verdict_free releases exactly the strings the library wrote.
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int pk_verifier_verify(VerifierHandle verifier, ref PkCheck check, IntPtr verdict);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int pk_verifier_verify_json(VerifierHandle verifier, ref PkCheck check, out IntPtr json);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int pk_verifier_explain_json(VerifierHandle verifier, ref PkCheck check, out IntPtr json);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int pk_open_revocation_list(byte[] list, byte[] publicKeys, UIntPtr publicKeyCount,
            uint highestSequenceSeen, out uint sequence);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr pk_status_name(int status);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr pk_error_name(int error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void pk_free_string(IntPtr s);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void pk_verdict_free(IntPtr verdict);
    }

    /// <summary>The library's verifier handle: released once, when the last call using it
    /// has returned (SafeHandle counts the calls in flight).</summary>
    internal sealed class VerifierHandle : SafeHandle
    {
        private VerifierHandle() : base(IntPtr.Zero, true)
        {
        }

        public override bool IsInvalid
        {
            get { return handle == IntPtr.Zero; }
        }

        protected override bool ReleaseHandle()
        {
            Native.pk_verifier_free(handle);
            return true;
        }
    }
}
