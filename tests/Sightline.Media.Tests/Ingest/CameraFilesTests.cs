using Sightline.Media.Ingest;

namespace Sightline.Media.Tests.Ingest;

/// <summary>file:// cameras read only below their folder, after resolving .. and symbolic links as the kernel will.</summary>
public sealed class CameraFilesTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("sightline-files-");
    private readonly string _cameras;
    private readonly CameraFiles _files;

    public CameraFilesTests()
    {
        _cameras = Directory.CreateDirectory(Path.Combine(_root.FullName, "cameras")).FullName;
        Directory.CreateDirectory(Path.Combine(_cameras, "lobby"));
        File.WriteAllText(Path.Combine(_cameras, "lobby", "door.mp4"), "x");
        File.WriteAllText(Path.Combine(_root.FullName, "secret.mp4"), "x");
        _files = new CameraFiles(_cameras);
    }

    public void Dispose() => _root.Delete(true);

    private string Resolve(string uri)
    {
        Assert.True(_files.TryResolve(uri, out var path, out var error), error);
        return path;
    }

    private string Refuse(string uri)
    {
        Assert.False(_files.TryResolve(uri, out _, out var error));
        return error;
    }

    [Fact]
    public void A_file_below_the_folder_resolves_to_its_real_path()
    {
        var door = Path.Combine(_cameras, "lobby", "door.mp4");
        Assert.Equal(door, Resolve("file://" + door));
        Assert.Equal(door, Resolve("file:" + door));
        Assert.Equal(door, Resolve("file://localhost" + door));
        Assert.Equal(door, Resolve("file:lobby/door.mp4")); // relative to the folder
        Assert.Equal(door, Resolve("file://" + _cameras + "/lobby/./../lobby/door.mp4"));
    }

    [Fact]
    public void Percent_encoded_names_are_decoded()
    {
        var spaced = Path.Combine(_cameras, "front door.mp4");
        File.WriteAllText(spaced, "x");
        Assert.Equal(spaced, Resolve("file://" + _cameras + "/front%20door.mp4"));
    }

    [Fact]
    public void Dot_dot_out_of_the_folder_is_refused()
    {
        Assert.Contains("outside the folder", Refuse("file://" + _cameras + "/../secret.mp4"));
        Assert.Contains("outside the folder", Refuse("file://" + _cameras + "/lobby/%2e%2e/%2e%2e/secret.mp4"));
        Assert.Contains("outside the folder", Refuse("file:///etc/passwd"));
        Assert.Contains("outside the folder", Refuse("file://" + _cameras)); // the folder itself is no file
    }

    [Fact]
    public void A_symbolic_link_out_of_the_folder_is_refused_and_one_within_it_is_followed()
    {
        File.CreateSymbolicLink(Path.Combine(_cameras, "escape.mp4"), Path.Combine(_root.FullName, "secret.mp4"));
        Directory.CreateSymbolicLink(Path.Combine(_cameras, "up"), _root.FullName);
        Directory.CreateSymbolicLink(Path.Combine(_cameras, "hall"), Path.Combine(_cameras, "lobby"));
        Assert.Contains("outside the folder", Refuse("file://" + _cameras + "/escape.mp4"));
        Assert.Contains("outside the folder", Refuse("file://" + _cameras + "/up/secret.mp4"));
        // ".." after a link goes up from where the link points, as open(2) does, not from the link's own folder.
        Assert.Contains("outside the folder", Refuse("file://" + _cameras + "/up/cameras/../secret.mp4"));
        Assert.Equal(Path.Combine(_cameras, "lobby", "door.mp4"), Resolve("file://" + _cameras + "/hall/door.mp4"));
    }

    [Fact]
    public void A_folder_given_through_a_link_is_compared_by_its_real_path()
    {
        var link = Path.Combine(_root.FullName, "link-to-cameras");
        Directory.CreateSymbolicLink(link, _cameras);
        var files = new CameraFiles(link);
        Assert.Equal(_cameras, files.Directory);
        Assert.True(files.TryResolve("file://" + link + "/lobby/door.mp4", out var path, out _));
        Assert.Equal(Path.Combine(_cameras, "lobby", "door.mp4"), path);
    }

    [Fact]
    public void A_link_loop_is_refused()
    {
        File.CreateSymbolicLink(Path.Combine(_cameras, "a.mp4"), Path.Combine(_cameras, "b.mp4"));
        File.CreateSymbolicLink(Path.Combine(_cameras, "b.mp4"), Path.Combine(_cameras, "a.mp4"));
        Assert.Contains("symbolic links", Refuse("file://" + _cameras + "/a.mp4"));
    }

    [Fact]
    public void Without_a_folder_every_file_camera_is_refused_with_the_setting_to_use()
    {
        Assert.False(CameraFiles.None.TryResolve("file://" + _cameras + "/lobby/door.mp4", out _, out var error));
        Assert.Contains("SIGHTLINE_CAMERA_FILES_DIR", error);
    }

    [Fact]
    public void A_file_on_another_host_is_refused()
    {
        Assert.Contains("not on 'nas'", Refuse("file://nas/share/door.mp4"));
    }
}
