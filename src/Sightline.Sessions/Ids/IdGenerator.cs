using System.Security.Cryptography;

namespace Sightline.Sessions.Ids;

/// <summary>Makes the random identifiers OpenVidu 2 uses (<c>ses_</c>, <c>con_</c>, <c>tok_</c>, stream and camera parts).</summary>
/// <remarks>Random by default (CSPRNG); tests pass a seeded <see cref="Random"/> for repeatable ids.</remarks>
public sealed class IdGenerator
{
    private const string Upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private const string Alphanumeric = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    private readonly Random? _random;
    private readonly Lock _lock = new();

    public IdGenerator(Random? random = null) => _random = random;

    /// <summary><c>ses_</c> + 1 upper-case letter + 9 alphanumerics, e.g. <c>ses_JM9v0nfD1l</c>.</summary>
    public string NewSessionId() => "ses_" + Pick(Upper, 1) + Pick(Alphanumeric, 9);

    /// <summary><c>con_</c> + 1 upper-case letter + 9 alphanumerics.</summary>
    public string NewConnectionId() => "con_" + Pick(Upper, 1) + Pick(Alphanumeric, 9);

    /// <summary><c>tok_</c> + 1 upper-case letter + 15 alphanumerics.</summary>
    public string NewTokenValue() => "tok_" + Pick(Upper, 1) + Pick(Alphanumeric, 15);

    /// <summary>Four characters of <c>[0-9A-Z]</c>: OpenVidu draws <c>[0-9A-Za-z]</c> and upper-cases them.</summary>
    public string NewCameraTag() => Pick(Alphanumeric, 4).ToUpperInvariant();

    /// <summary>One upper-case letter + 3 alphanumerics, the random middle of a stream id.</summary>
    public string NewStreamTag() => Pick(Upper, 1) + Pick(Alphanumeric, 3);

    private string Pick(string alphabet, int count)
    {
        if (_random is null)
        {
            return RandomNumberGenerator.GetString(alphabet, count);
        }
        lock (_lock)
        {
            return string.Create(count, (alphabet, _random), static (span, state) =>
            {
                for (var i = 0; i < span.Length; i++)
                {
                    span[i] = state.alphabet[state._random.Next(state.alphabet.Length)];
                }
            });
        }
    }
}
