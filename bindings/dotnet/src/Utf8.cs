// UTF-8 in and out by hand: .NET Standard 2.0 (and so .NET Framework 4.8) has neither
// Marshal.StringToCoTaskMemUTF8 nor Marshal.PtrToStringUTF8.
using System;
using System.Runtime.InteropServices;
using System.Text;

namespace Ast.ProductKeys
{
    internal static class Utf8
    {
        // Throws on a lone surrogate instead of sending U+FFFD in its place: the library
        // would judge a text the caller never wrote.
        private static readonly UTF8Encoding Strict = new UTF8Encoding(false, true);

        /// <summary>The text as UTF-8 ending in NUL, or null for null.</summary>
        internal static byte[] NulEnded(string text, string parameter)
        {
            if (text == null)
            {
                return null;
            }
            if (text.IndexOf('\0') >= 0)
            {
                throw new ArgumentException(
                    "the text holds a NUL character (U+0000), which cannot be passed to the library", parameter);
            }
            byte[] bytes;
            try
            {
                bytes = new byte[Strict.GetByteCount(text) + 1];
                Strict.GetBytes(text, 0, text.Length, bytes, 0);
            }
            catch (EncoderFallbackException e)
            {
                throw new ArgumentException(
                    "the text holds a lone UTF-16 surrogate at index " + e.Index + ": it is not Unicode text", parameter, e);
            }
            return bytes;
        }

        /// <summary>The NUL-ended UTF-8 string at <paramref name="p"/>, or null for a null pointer.</summary>
        internal static string Read(IntPtr p)
        {
            if (p == IntPtr.Zero)
            {
                return null;
            }
            int length = 0;
            while (Marshal.ReadByte(p, length) != 0)
            {
                length++;
            }
            byte[] bytes = new byte[length];
            Marshal.Copy(p, bytes, 0, length);
            return Encoding.UTF8.GetString(bytes);
        }

        /// <summary>A NUL-ended byte buffer (product, 9 bytes) as text.</summary>
        internal static string FromBuffer(byte[] buffer)
        {
            int length = Array.IndexOf(buffer, (byte)0);
            return Encoding.UTF8.GetString(buffer, 0, length < 0 ? buffer.Length : length);
        }
    }

    /// <summary>Byte arrays pinned for the length of one native call.</summary>
    internal struct Pinned : IDisposable
    {
        private GCHandle handle;

        internal Pinned(byte[] bytes)
        {
            handle = bytes == null ? default(GCHandle) : GCHandle.Alloc(bytes, GCHandleType.Pinned);
        }

        internal IntPtr Address
        {
            get { return handle.IsAllocated ? handle.AddrOfPinnedObject() : IntPtr.Zero; }
        }

        public void Dispose()
        {
            if (handle.IsAllocated)
            {
                handle.Free();
            }
        }
    }
}
