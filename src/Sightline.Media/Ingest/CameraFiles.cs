namespace Sightline.Media.Ingest;

/// <summary>
/// Where <c>file://</c> cameras may read: only below one folder (<c>SIGHTLINE_CAMERA_FILES_DIR</c>), after resolving
/// <c>..</c> and symbolic links the way the operating system will when the file is opened. Without a folder every
/// <c>file://</c> camera is refused: a client of the REST API must not make the server read its own files.
/// </summary>
public sealed class CameraFiles
{
    private const int MaxLinks = 40; // as Linux's path resolution (ELOOP)

    /// <summary>No folder: <c>file://</c> cameras are refused.</summary>
    public static readonly CameraFiles None = new(null);

    /// <summary>Any file the process can read (the command line's <c>probe</c>, run by someone who can read them anyway).</summary>
    public static readonly CameraFiles Anywhere = new("/");

    /// <param name="directory">An existing folder (resolved here to its real path); null for none.</param>
    public CameraFiles(string? directory)
    {
        if (directory is null) return;
        var real = RealPath(Path.GetFullPath(directory));
        if (real is null || !System.IO.Directory.Exists(real)) throw new ArgumentException($"'{directory}' is not a folder", nameof(directory));
        Directory = real;
    }

    /// <summary>The folder's real path, or null when <c>file://</c> cameras are off.</summary>
    public string? Directory { get; }

    /// <summary>True for a <c>file:</c> URI (any case).</summary>
    public static bool IsFileUri(string uri) => uri.StartsWith("file:", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The real path a <c>file:</c> camera URI names (<c>file:///abs/path.mp4</c>, <c>file://localhost/abs/path.mp4</c>, or
    /// <c>file:relative.mp4</c> below the folder), or why it may not be read.
    /// </summary>
    public bool TryResolve(string uri, out string path, out string error)
    {
        path = "";
        error = "";
        if (Directory is null)
        {
            error = "file:// cameras are off on this server (set SIGHTLINE_CAMERA_FILES_DIR to the folder they may read)";
            return false;
        }
        if (!IsFileUri(uri))
        {
            error = "not a file: URI";
            return false;
        }
        var rest = uri[5..];
        var end = rest.IndexOfAny(['?', '#']);
        if (end >= 0) rest = rest[..end];
        if (rest.StartsWith("//", StringComparison.Ordinal))
        {
            var slash = rest.IndexOf('/', 2);
            var host = slash < 0 ? rest[2..] : rest[2..slash];
            if (host.Length > 0 && !host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
            {
                error = $"a file:// camera names a file on this server (file:///path/to/video.mp4), not on '{host}'";
                return false;
            }
            rest = slash < 0 ? "/" : rest[slash..];
        }
        string decoded;
        try
        {
            decoded = Uri.UnescapeDataString(rest);
        }
        catch (UriFormatException)
        {
            error = "the file path is not a valid URI path";
            return false;
        }
        if (decoded.Contains('\0') || decoded.Length == 0)
        {
            error = "the file path is empty or not valid";
            return false;
        }
        var absolute = decoded.StartsWith('/') ? decoded : Path.Join(Directory, decoded);
        var real = RealPath(absolute);
        if (real is null)
        {
            error = "the file path has too many symbolic links";
            return false;
        }
        if (!real.StartsWith(Directory == "/" ? "/" : Directory + "/", StringComparison.Ordinal) || real == Directory)
        {
            error = "the file is outside the folder file:// cameras may read (SIGHTLINE_CAMERA_FILES_DIR)";
            return false;
        }
        path = real;
        return true;
    }

    /// <summary>
    /// Resolves an absolute path one component at a time as the kernel does (a <c>..</c> after a symbolic link goes up from
    /// the link's target, not lexically); components that do not exist are kept as written. Null after too many links.
    /// </summary>
    internal static string? RealPath(string absolute)
    {
        var pending = new Stack<string>();
        Push(pending, absolute);
        var current = "/";
        var links = 0;
        while (pending.TryPop(out var part))
        {
            if (part is "" or ".") continue;
            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? "/";
                continue;
            }
            var next = current == "/" ? "/" + part : current + "/" + part;
            string? target;
            try
            {
                target = new FileInfo(next).LinkTarget;
            }
            catch (IOException)
            {
                target = null;
            }
            if (target is null)
            {
                current = next;
                continue;
            }
            if (++links > MaxLinks) return null;
            if (target.StartsWith('/')) current = "/";
            Push(pending, target);
        }
        return current;

        static void Push(Stack<string> stack, string path)
        {
            var parts = path.Split('/');
            for (var i = parts.Length - 1; i >= 0; i--) stack.Push(parts[i]);
        }
    }
}
